// teach-pad.js: a drawing pad for the Teach it page. Black round strokes
// on white, drawn with mouse, pen or finger (pointer events, coalesced
// points included), with undo and clear; onChange runs after every change.
export class Pad {
  constructor(canvas, { lineWidth = 20, hint = null, onChange = () => {} } = {}) {
    this.canvas = canvas;
    this.ctx = canvas.getContext('2d', { willReadFrequently: true });
    this.lineWidth = lineWidth;
    this.hint = hint;
    this.onChange = onChange;
    this.strokes = [];
    this.current = null;
    this.enabled = true;
    canvas.addEventListener('pointerdown', (e) => this.#down(e));
    canvas.addEventListener('pointermove', (e) => this.#move(e));
    canvas.addEventListener('pointerup', () => this.#end());
    canvas.addEventListener('pointercancel', () => this.#end());
    this.redraw();
  }

  get empty() { return this.strokes.length === 0; }

  // pixels returns the pad's RGBA pixels (ImageData).
  pixels() { return this.ctx.getImageData(0, 0, this.canvas.width, this.canvas.height); }

  undo() {
    this.strokes.pop();
    this.redraw();
    this.onChange();
  }

  clear() {
    this.strokes.length = 0;
    this.current = null;
    this.redraw();
    this.onChange();
  }

  redraw() {
    const { ctx, canvas } = this;
    ctx.fillStyle = '#fff';
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    for (const s of this.strokes) this.#stroke(s);
    if (this.hint) this.hint.hidden = this.strokes.length > 0;
  }

  #style() {
    const { ctx } = this;
    ctx.strokeStyle = '#000';
    ctx.fillStyle = '#000';
    ctx.lineWidth = this.lineWidth;
    ctx.lineCap = 'round';
    ctx.lineJoin = 'round';
  }

  #stroke(s) {
    const { ctx } = this;
    this.#style();
    ctx.beginPath();
    if (s.length === 1) {
      ctx.arc(s[0][0], s[0][1], this.lineWidth / 2, 0, 2 * Math.PI);
      ctx.fill();
      return;
    }
    ctx.moveTo(s[0][0], s[0][1]);
    for (let i = 1; i < s.length; i++) ctx.lineTo(s[i][0], s[i][1]);
    ctx.stroke();
  }

  #point(e) {
    const r = this.canvas.getBoundingClientRect();
    return [((e.clientX - r.left) / r.width) * this.canvas.width, ((e.clientY - r.top) / r.height) * this.canvas.height];
  }

  #down(e) {
    if (e.button !== 0 || !this.enabled) return;
    e.preventDefault();
    this.canvas.setPointerCapture(e.pointerId);
    this.current = [this.#point(e)];
    this.strokes.push(this.current);
    if (this.hint) this.hint.hidden = true;
    this.#stroke(this.current);
    this.onChange();
  }

  #move(e) {
    if (!this.current) return;
    const events = typeof e.getCoalescedEvents === 'function' ? e.getCoalescedEvents() : [];
    const pts = (events.length ? events : [e]).map((ev) => this.#point(ev));
    const last = this.current[this.current.length - 1];
    const { ctx } = this;
    this.#style();
    ctx.beginPath();
    ctx.moveTo(last[0], last[1]);
    for (const p of pts) {
      ctx.lineTo(p[0], p[1]);
      this.current.push(p);
    }
    ctx.stroke();
    this.onChange();
  }

  #end() {
    if (!this.current) return;
    this.current = null;
    this.onChange();
  }
}
