package reftest

// int64s converts an attribute list to int64 (nil stays nil: absent).
func int64s(v []int) []int64 {
	if v == nil {
		return nil
	}
	out := make([]int64, len(v))
	for i, x := range v {
		out[i] = int64(x)
	}
	return out
}
