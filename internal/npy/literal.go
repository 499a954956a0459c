package npy

import (
	"fmt"
	"strconv"
	"strings"
)

// The .npy header is a Python literal (the repr of a dict). This file holds a
// small parser for the subset numpy writes: dicts, tuples, lists, strings,
// integers (with Python 2's optional L suffix), True, False and None.

// maxDepth bounds the nesting of containers so hostile headers cannot
// exhaust the stack.
const maxDepth = 16

// pyTuple is a parsed Python tuple.
type pyTuple []any

// pyList is a parsed Python list.
type pyList []any

// pyNone is Python's None.
type pyNone struct{}

// pyKV is one dict entry.
type pyKV struct{ key, val any }

// pyDict is a parsed Python dict, in source order.
type pyDict []pyKV

// String formats t the way Python prints a tuple.
func (t pyTuple) String() string {
	var b strings.Builder
	b.WriteByte('(')
	for i, e := range t {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(describe(e))
	}
	if len(t) == 1 {
		b.WriteByte(',')
	}
	b.WriteByte(')')
	return b.String()
}

// describe renders a parsed value for error messages.
func describe(v any) string {
	switch x := v.(type) {
	case string:
		return strconv.Quote(x)
	case bool:
		if x {
			return "True"
		}
		return "False"
	case int64:
		return strconv.FormatInt(x, 10)
	case pyNone:
		return "None"
	case pyTuple:
		return x.String()
	case pyList:
		return "a list"
	case pyDict:
		return "a dict"
	}
	return fmt.Sprintf("%v", v)
}

// parser is a cursor over header text.
type parser struct {
	s   []byte
	pos int
}

// errorf reports a syntax error at the current position.
func (p *parser) errorf(format string, args ...any) error {
	return formatErr("header syntax error at byte %d: %s", p.pos, fmt.Sprintf(format, args...))
}

// skipSpace advances over Python whitespace.
func (p *parser) skipSpace() {
	for p.pos < len(p.s) {
		switch p.s[p.pos] {
		case ' ', '\t', '\n', '\r':
			p.pos++
		default:
			return
		}
	}
}

// parseTop parses the whole text as one value followed only by whitespace.
func (p *parser) parseTop() (any, error) {
	v, err := p.value(0)
	if err != nil {
		return nil, err
	}
	p.skipSpace()
	if p.pos != len(p.s) {
		return nil, p.errorf("unexpected %q after the header dict", p.s[p.pos])
	}
	return v, nil
}

// value parses one literal.
func (p *parser) value(depth int) (any, error) {
	if depth > maxDepth {
		return nil, p.errorf("nesting deeper than %d", maxDepth)
	}
	p.skipSpace()
	if p.pos >= len(p.s) {
		return nil, p.errorf("unexpected end of header")
	}
	c := p.s[p.pos]
	switch {
	case c == '{':
		return p.dict(depth)
	case c == '(':
		items, err := p.seq(depth, ')')
		return pyTuple(items), err
	case c == '[':
		items, err := p.seq(depth, ']')
		return pyList(items), err
	case c == '\'' || c == '"':
		return p.str()
	case (c == 'u' || c == 'b') && p.pos+1 < len(p.s) && (p.s[p.pos+1] == '\'' || p.s[p.pos+1] == '"'):
		p.pos++
		return p.str()
	case c == '-' || c == '+' || c >= '0' && c <= '9':
		return p.int()
	case isIdentStart(c):
		start := p.pos
		for p.pos < len(p.s) && isIdentStart(p.s[p.pos]) {
			p.pos++
		}
		switch word := string(p.s[start:p.pos]); word {
		case "True":
			return true, nil
		case "False":
			return false, nil
		case "None":
			return pyNone{}, nil
		default:
			p.pos = start
			return nil, p.errorf("unexpected name %q", word)
		}
	}
	return nil, p.errorf("unexpected %q", c)
}

// isIdentStart reports whether c can be part of the names True/False/None.
func isIdentStart(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_'
}

// dict parses {key: value, ...} with an optional trailing comma.
func (p *parser) dict(depth int) (any, error) {
	p.pos++ // '{'
	var d pyDict
	for {
		p.skipSpace()
		if p.pos < len(p.s) && p.s[p.pos] == '}' {
			p.pos++
			return d, nil
		}
		k, err := p.value(depth + 1)
		if err != nil {
			return nil, err
		}
		p.skipSpace()
		if p.pos >= len(p.s) || p.s[p.pos] != ':' {
			return nil, p.errorf("expected ':' after dict key")
		}
		p.pos++
		v, err := p.value(depth + 1)
		if err != nil {
			return nil, err
		}
		d = append(d, pyKV{k, v})
		p.skipSpace()
		if p.pos >= len(p.s) {
			return nil, p.errorf("unterminated dict")
		}
		switch p.s[p.pos] {
		case ',':
			p.pos++
		case '}':
			p.pos++
			return d, nil
		default:
			return nil, p.errorf("expected ',' or '}' in dict, found %q", p.s[p.pos])
		}
	}
}

// seq parses a tuple or list up to the closing byte; a one-element tuple
// needs its trailing comma, as in Python.
func (p *parser) seq(depth int, end byte) ([]any, error) {
	p.pos++ // opening bracket
	items := []any{}
	comma := false
	for {
		p.skipSpace()
		if p.pos < len(p.s) && p.s[p.pos] == end {
			p.pos++
			if end == ')' && len(items) == 1 && !comma {
				// "(5)" is just the integer 5 in Python.
				return nil, p.errorf("parenthesised value is not a tuple (a one-element tuple needs a trailing comma)")
			}
			return items, nil
		}
		v, err := p.value(depth + 1)
		if err != nil {
			return nil, err
		}
		items = append(items, v)
		comma = false
		p.skipSpace()
		if p.pos >= len(p.s) {
			return nil, p.errorf("unterminated sequence")
		}
		switch p.s[p.pos] {
		case ',':
			p.pos++
			comma = true
		case end:
		default:
			return nil, p.errorf("expected ',' or %q, found %q", end, p.s[p.pos])
		}
	}
}

// str parses a quoted string with the simple backslash escapes.
func (p *parser) str() (any, error) {
	q := p.s[p.pos]
	p.pos++
	var b strings.Builder
	for p.pos < len(p.s) {
		c := p.s[p.pos]
		p.pos++
		switch c {
		case q:
			return b.String(), nil
		case '\n':
			return nil, p.errorf("newline in string")
		case '\\':
			if p.pos >= len(p.s) {
				return nil, p.errorf("unterminated string")
			}
			e := p.s[p.pos]
			p.pos++
			switch e {
			case '\\', '\'', '"':
				b.WriteByte(e)
			case 'n':
				b.WriteByte('\n')
			case 't':
				b.WriteByte('\t')
			default:
				return nil, p.errorf("unsupported string escape \\%c", e)
			}
		default:
			b.WriteByte(c)
		}
	}
	return nil, p.errorf("unterminated string")
}

// int parses a decimal integer with an optional sign and L suffix.
func (p *parser) int() (any, error) {
	start := p.pos
	if p.s[p.pos] == '-' || p.s[p.pos] == '+' {
		p.pos++
	}
	digits := p.pos
	for p.pos < len(p.s) && p.s[p.pos] >= '0' && p.s[p.pos] <= '9' {
		p.pos++
	}
	if p.pos == digits {
		return nil, p.errorf("expected digits")
	}
	text := string(p.s[start:p.pos])
	if p.pos < len(p.s) && (p.s[p.pos] == 'L' || p.s[p.pos] == 'l') {
		p.pos++
	}
	if p.pos < len(p.s) && (p.s[p.pos] == '.' || p.s[p.pos] == 'e' || p.s[p.pos] == 'E' || p.s[p.pos] == 'j') {
		return nil, p.errorf("only integers are supported in the header")
	}
	n, err := strconv.ParseInt(text, 10, 64)
	if err != nil {
		p.pos = start
		return nil, p.errorf("integer %s is out of range", text)
	}
	return n, nil
}
