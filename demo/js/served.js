// served.js tells a visitor who opened a demo page from a file (file://)
// how to serve it. It is a classic script, not a module, because browsers
// do not run module scripts (or fetch the WebAssembly) from file:// URLs:
// the page's own scripts never start there, so this one has to say why.
(function () {
  'use strict';
  if (location.protocol !== 'file:') return;
  function show() {
    var area = document.getElementById('messages');
    if (!area) return;
    var box = document.createElement('div');
    box.className = 'msg msg-error';
    box.id = 'served-hint';
    box.setAttribute('role', 'alert');
    var title = document.createElement('strong');
    title.textContent = 'This page was opened from a file, so nothing on it can run.';
    var text = document.createElement('span');
    text.textContent = ' Browsers do not load its scripts or its WebAssembly from file:// URLs. Serve the demo over HTTP ' +
      'instead: in the wasmnn repository run ';
    var cmd = document.createElement('code');
    cmd.textContent = 'make demo';
    var rest = document.createElement('span');
    rest.textContent = ' (it builds the files the pages need and serves them), then open ';
    var link = document.createElement('code');
    link.textContent = 'http://127.0.0.1:8080/' + location.pathname.split('/').pop();
    var end = document.createElement('span');
    end.textContent = '. Any static web server works once make demo-files has built demo/lib, say ';
    var alt = document.createElement('code');
    alt.textContent = 'wasmnn serve --dir demo';
    box.append(title, text, cmd, rest, link, end, alt, '.');
    area.append(box);
    var backend = document.getElementById('backend');
    if (backend) backend.innerHTML = '<span class="pill">not served</span>';
    document.body.dataset.ready = 'file';
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', show);
  else show();
})();
