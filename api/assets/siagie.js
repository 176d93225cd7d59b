// SIAGIE console: what JavaScript adds to pages that work without it.
// Ctrl+Enter (or Cmd+Enter) in a text area sends its form; browsers do not use that shortcut.
document.addEventListener("keydown", function (event) {
  var target = event.target;
  if ((event.ctrlKey || event.metaKey) && event.key === "Enter" && target.tagName === "TEXTAREA" && target.form) {
    event.preventDefault();
    if (target.form.requestSubmit) { target.form.requestSubmit(); } else { target.form.submit(); }
  }
});
