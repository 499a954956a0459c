package gojs

// A small Promise: constructor with executor, Promise.resolve/reject,
// then/catch/finally, adoption of thenables. Reactions run as microtasks,
// which the host drains whenever control is back at the top level (after a
// Call, and in the event loop of Await and New).

type promiseStatus uint8

const (
	pending promiseStatus = iota
	fulfilled
	rejected
)

type promiseState struct {
	status    promiseStatus
	value     any
	reactions []reaction
}

// reaction is one then() registration; resolve/reject settle the derived
// promise.
type reaction struct {
	onFulfilled, onRejected any
	resolve, reject         func(any)
}

// enqueue adds a microtask.
func (h *Host) enqueue(job func()) { h.micro = append(h.micro, job) }

// runJob calls fn(args...) as a microtask or timer callback, ignoring its
// result; exceptions are reported on stderr like an uncaught error.
func (h *Host) runJob(fn any, args []any) {
	if _, err := h.apply(fn, nil, args); err != nil && h.dead == nil {
		h.writeFD(2, []byte("Uncaught "+describe(h.thrownValue(err))+"\n"))
	}
}

// newPromise returns a pending promise and its resolving functions.
func (h *Host) newPromise() (*Object, func(any), func(any)) {
	p := h.newObject("Promise", h.protos.promise)
	p.kind = kindPromise
	p.promise = &promiseState{}
	resolve, reject := h.resolvingFunctions(p)
	return p, resolve, reject
}

// resolvingFunctions returns a fresh resolve/reject pair for p; only the first
// call of either has an effect.
func (h *Host) resolvingFunctions(p *Object) (resolve, reject func(any)) {
	done := false
	reject = func(reason any) {
		if done {
			return
		}
		done = true
		h.settle(p, rejected, reason)
	}
	resolve = func(v any) {
		if done {
			return
		}
		done = true
		if v == any(p) {
			h.settle(p, rejected, h.newError("TypeError", "Chaining cycle detected for promise"))
			return
		}
		if o, ok := v.(*Object); ok {
			if then, ok := o.get("then").(*Object); ok && then.call != nil {
				h.enqueue(func() {
					res, rej := h.resolvingFunctions(p)
					_, err := then.call(o, []any{h.jsResolver(res), h.jsResolver(rej)})
					if err != nil && h.dead == nil {
						rej(h.thrownValue(err))
					}
				})
				return
			}
		}
		h.settle(p, fulfilled, v)
	}
	return resolve, reject
}

// jsResolver wraps a resolving function as a JS function.
func (h *Host) jsResolver(f func(any)) *Object {
	return h.newFunction("", func(this any, args []any) (any, error) {
		f(arg(args, 0))
		return nil, nil
	})
}

// settle fixes p's state and schedules its reactions.
func (h *Host) settle(p *Object, status promiseStatus, v any) {
	st := p.promise
	if st.status != pending {
		return
	}
	st.status, st.value = status, v
	for _, r := range st.reactions {
		h.scheduleReaction(st, r)
	}
	st.reactions = nil
}

func (h *Host) scheduleReaction(st *promiseState, r reaction) {
	h.enqueue(func() {
		handler, settleDerived := r.onFulfilled, r.resolve
		if st.status == rejected {
			handler, settleDerived = r.onRejected, r.reject
		}
		fn, ok := handler.(*Object)
		if !ok || fn.call == nil {
			settleDerived(st.value)
			return
		}
		res, err := h.apply(fn, nil, []any{st.value})
		if h.dead != nil {
			return
		}
		if err != nil {
			r.reject(h.thrownValue(err))
			return
		}
		r.resolve(res)
	})
}

// then registers handlers on promise p and returns the derived promise.
func (h *Host) then(p *Object, onFulfilled, onRejected any) *Object {
	q, resolve, reject := h.newPromise()
	r := reaction{onFulfilled, onRejected, resolve, reject}
	if p.promise.status == pending {
		p.promise.reactions = append(p.promise.reactions, r)
	} else {
		h.scheduleReaction(p.promise, r)
	}
	return q
}

// promiseResolve is Promise.resolve(v).
func (h *Host) promiseResolve(v any) *Object {
	if o, ok := v.(*Object); ok && o.kind == kindPromise {
		return o
	}
	p, resolve, _ := h.newPromise()
	resolve(v)
	return p
}

func (h *Host) initPromise() {
	proto := h.protos.promise
	ctor := h.class("Promise", proto, nil, func(args []any) (any, error) {
		executor, ok := arg(args, 0).(*Object)
		if !ok || executor.call == nil {
			return nil, h.typeError("Promise resolver %s is not a function", toString(arg(args, 0)))
		}
		p, resolve, reject := h.newPromise()
		if _, err := executor.call(nil, []any{h.jsResolver(resolve), h.jsResolver(reject)}); err != nil {
			if h.dead != nil {
				return nil, err
			}
			reject(h.thrownValue(err))
		}
		return p, nil
	})
	h.method(ctor, "resolve", func(this any, args []any) (any, error) {
		return h.promiseResolve(arg(args, 0)), nil
	})
	h.method(ctor, "reject", func(this any, args []any) (any, error) {
		p, _, reject := h.newPromise()
		reject(arg(args, 0))
		return p, nil
	})
	promiseOf := func(this any) (*Object, error) {
		p, ok := this.(*Object)
		if !ok || p.kind != kindPromise {
			return nil, h.typeError("receiver is not a Promise")
		}
		return p, nil
	}
	h.method(proto, "then", func(this any, args []any) (any, error) {
		p, err := promiseOf(this)
		if err != nil {
			return nil, err
		}
		return h.then(p, arg(args, 0), arg(args, 1)), nil
	})
	h.method(proto, "catch", func(this any, args []any) (any, error) {
		p, err := promiseOf(this)
		if err != nil {
			return nil, err
		}
		return h.then(p, nil, arg(args, 0)), nil
	})
	h.method(proto, "finally", func(this any, args []any) (any, error) {
		p, err := promiseOf(this)
		if err != nil {
			return nil, err
		}
		f := arg(args, 0)
		if fo, ok := f.(*Object); !ok || fo.call == nil {
			return h.then(p, f, f), nil // non-callables pass the outcome through
		}
		onF := h.newFunction("", func(this any, a []any) (any, error) {
			if _, err := h.apply(f, nil, nil); err != nil {
				return nil, err
			}
			return arg(a, 0), nil
		})
		onR := h.newFunction("", func(this any, a []any) (any, error) {
			if _, err := h.apply(f, nil, nil); err != nil {
				return nil, err
			}
			return nil, &throw{arg(a, 0)}
		})
		return h.then(p, onF, onR), nil
	})
}
