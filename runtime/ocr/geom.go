package ocr

import (
	"math"
	"sort"
)

// The geometry of detection: convex hulls of pixel sets, minimum-area
// rotated rectangles (rotating calipers), the DB "unclip" offset and the
// homography of a perspective crop. It runs in float64 with every product
// that is added to something wrapped in an explicit float64 conversion, so no
// compiler fuses a multiply-add and every build computes the same bits; hulls
// are computed exactly in integers.

// pt is a point in pixel coordinates (x to the right, y down).
type pt struct{ x, y float64 }

// ipt is an integer pixel position.
type ipt struct{ x, y int }

// cross is the z component of (a-o) x (b-o), exact for pixel coordinates.
func cross(o, a, b ipt) int64 {
	return int64(a.x-o.x)*int64(b.y-o.y) - int64(a.y-o.y)*int64(b.x-o.x)
}

// convexHull returns the convex hull of ps in counter-clockwise order (in a
// y-up frame; clockwise on screen) without collinear points (Andrew's
// monotone chain). ps is sorted in place. Fewer than three distinct points
// come back as they are (deduplicated).
func convexHull(ps []ipt) []ipt {
	sort.Slice(ps, func(i, j int) bool {
		if ps[i].x != ps[j].x {
			return ps[i].x < ps[j].x
		}
		return ps[i].y < ps[j].y
	})
	// Deduplicate.
	n := 0
	for i, p := range ps {
		if i == 0 || p != ps[n-1] {
			ps[n] = p
			n++
		}
	}
	ps = ps[:n]
	if n < 3 {
		return append([]ipt(nil), ps...)
	}
	hull := make([]ipt, 0, 2*n)
	for _, p := range ps {
		for len(hull) >= 2 && cross(hull[len(hull)-2], hull[len(hull)-1], p) <= 0 {
			hull = hull[:len(hull)-1]
		}
		hull = append(hull, p)
	}
	lower := len(hull) + 1
	for i := n - 2; i >= 0; i-- {
		p := ps[i]
		for len(hull) >= lower && cross(hull[len(hull)-2], hull[len(hull)-1], p) <= 0 {
			hull = hull[:len(hull)-1]
		}
		hull = append(hull, p)
	}
	return hull[:len(hull)-1]
}

// rect is a rotated rectangle: its centre, unit axis u (v is u turned by 90
// degrees) and its extents along u (w) and v (h).
type rect struct {
	c    pt
	u    pt
	w, h float64
}

// minAreaRect returns the smallest-area rectangle enclosing the hull (which
// convexHull produced): one of its sides lies on a hull edge, so it tries
// each edge's direction (rotating calipers) and keeps the first smallest.
// A hull of one or two points gives a rectangle of zero height.
func minAreaRect(hull []ipt) rect {
	switch len(hull) {
	case 0:
		return rect{u: pt{1, 0}}
	case 1:
		return rect{c: pt{float64(hull[0].x), float64(hull[0].y)}, u: pt{1, 0}}
	}
	best := rect{}
	bestArea := math.Inf(1)
	n := len(hull)
	if n == 2 {
		n = 1
	}
	for i := range n {
		a, b := hull[i], hull[(i+1)%len(hull)]
		dx, dy := float64(b.x-a.x), float64(b.y-a.y)
		l := math.Sqrt(float64(dx*dx) + float64(dy*dy))
		u := pt{dx / l, dy / l}
		v := pt{-u.y, u.x}
		minU, maxU := math.Inf(1), math.Inf(-1)
		minV, maxV := math.Inf(1), math.Inf(-1)
		for _, p := range hull {
			px, py := float64(p.x), float64(p.y)
			pu := float64(px*u.x) + float64(py*u.y)
			pv := float64(px*v.x) + float64(py*v.y)
			minU, maxU = math.Min(minU, pu), math.Max(maxU, pu)
			minV, maxV = math.Min(minV, pv), math.Max(maxV, pv)
		}
		w, h := maxU-minU, maxV-minV
		if area := float64(w * h); area < bestArea {
			bestArea = area
			cu, cv := (minU+maxU)/2, (minV+maxV)/2
			best = rect{c: pt{float64(cu*u.x) + float64(cv*v.x), float64(cu*u.y) + float64(cv*v.y)}, u: u, w: w, h: h}
		}
	}
	return best
}

// corners returns the rectangle's corners.
func (r rect) corners() [4]pt {
	v := pt{-r.u.y, r.u.x}
	hw, hh := r.w/2, r.h/2
	var out [4]pt
	for i, s := range [4][2]float64{{-1, -1}, {1, -1}, {1, 1}, {-1, 1}} {
		du, dv := s[0]*hw, s[1]*hh
		out[i] = pt{r.c.x + float64(du*r.u.x) + float64(dv*v.x), r.c.y + float64(du*r.u.y) + float64(dv*v.y)}
	}
	return out
}

// expand returns the rectangle grown by d on every side: the minimum-area
// rectangle around the polygon offset by d with round joins (the offset
// rounds the corners, which stay inside this rectangle).
func (r rect) expand(d float64) rect {
	r.w += 2 * d
	r.h += 2 * d
	return r
}

// unclipDistance is DB's offset distance for a w x h rectangle: its area
// times ratio over its perimeter.
func unclipDistance(w, h, ratio float64) float64 {
	per := 2 * (w + h)
	if per == 0 {
		return 0
	}
	return float64(float64(w*h)*ratio) / per
}

// miniBox orders a rectangle's corners as PaddleOCR's get_mini_boxes does:
// sorted by x, the left pair gives the top-left (smaller y) and bottom-left,
// the right pair the top-right and bottom-right; it returns them as
// top-left, top-right, bottom-right, bottom-left with the shorter side.
func miniBox(r rect) ([4]pt, float64) {
	c := r.corners()
	ps := c[:]
	sort.SliceStable(ps, func(i, j int) bool { return ps[i].x < ps[j].x })
	tl, bl := ps[0], ps[1]
	if ps[1].y <= ps[0].y {
		tl, bl = ps[1], ps[0]
	}
	tr, br := ps[2], ps[3]
	if ps[3].y <= ps[2].y {
		tr, br = ps[3], ps[2]
	}
	return [4]pt{tl, tr, br, bl}, math.Min(r.w, r.h)
}

// orderClockwise orders four points as top-left, top-right, bottom-right,
// bottom-left: the smallest and largest x+y are the top-left and
// bottom-right, and of the other two the one with the smaller y-x is the
// top-right (PaddleOCR's order_points_clockwise).
func orderClockwise(q [4]pt) [4]pt {
	tl, br := 0, 0
	for i := range q {
		s := q[i].x + q[i].y
		if s < q[tl].x+q[tl].y {
			tl = i
		}
		if s > q[br].x+q[br].y {
			br = i
		}
	}
	if tl == br {
		return q
	}
	var rest []int
	for i := range q {
		if i != tl && i != br {
			rest = append(rest, i)
		}
	}
	tr, bl := rest[0], rest[1]
	if q[rest[1]].y-q[rest[1]].x < q[rest[0]].y-q[rest[0]].x {
		tr, bl = rest[1], rest[0]
	}
	return [4]pt{q[tl], q[tr], q[br], q[bl]}
}

// dist is the distance between a and b.
func dist(a, b pt) float64 {
	dx, dy := a.x-b.x, a.y-b.y
	return math.Sqrt(float64(dx*dx) + float64(dy*dy))
}

// homography maps the rectangle [0,w]x[0,h] onto a quadrilateral: corner
// (0,0) to q[0], (w,0) to q[1], (w,h) to q[2] and (0,h) to q[3] (the inverse
// of the transform OpenCV's getPerspectiveTransform gives for the crop, which
// warpPerspective applies to each output pixel).
type homography struct {
	a, b, c, d, e, f, g, h float64
	sx, sy                 float64 // 1/w, 1/h
}

// newHomography builds the map from the unit square to q (Heckbert's
// closed form), then scales the square to w x h.
func newHomography(q [4]pt, w, h float64) homography {
	x0, y0, x1, y1, x2, y2, x3, y3 := q[0].x, q[0].y, q[1].x, q[1].y, q[2].x, q[2].y, q[3].x, q[3].y
	m := homography{sx: 1 / w, sy: 1 / h}
	sx, sy := x0-x1+x2-x3, y0-y1+y2-y3
	if sx == 0 && sy == 0 {
		m.a, m.b, m.c = x1-x0, x3-x0, x0
		m.d, m.e, m.f = y1-y0, y3-y0, y0
		return m
	}
	dx1, dx2, dy1, dy2 := x1-x2, x3-x2, y1-y2, y3-y2
	den := float64(dx1*dy2) - float64(dx2*dy1)
	if den == 0 {
		m.a, m.b, m.c = x1-x0, x3-x0, x0
		m.d, m.e, m.f = y1-y0, y3-y0, y0
		return m
	}
	m.g = (float64(sx*dy2) - float64(dx2*sy)) / den
	m.h = (float64(dx1*sy) - float64(sx*dy1)) / den
	m.a = x1 - x0 + float64(m.g*x1)
	m.b = x3 - x0 + float64(m.h*x3)
	m.c = x0
	m.d = y1 - y0 + float64(m.g*y1)
	m.e = y3 - y0 + float64(m.h*y3)
	m.f = y0
	return m
}

// at maps the output position (X, Y) to the source image.
func (m homography) at(X, Y float64) (float64, float64) {
	u, v := float64(X*m.sx), float64(Y*m.sy)
	den := float64(m.g*u) + float64(m.h*v) + 1
	x := float64(m.a*u) + float64(m.b*v) + m.c
	y := float64(m.d*u) + float64(m.e*v) + m.f
	return x / den, y / den
}
