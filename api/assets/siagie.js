// SIAGIE console: what JavaScript adds to pages that work without it.
// Ctrl+Enter (or Cmd+Enter) in a text area sends its form; browsers do not use that shortcut.
document.addEventListener("keydown", function (event) {
  var target = event.target;
  if ((event.ctrlKey || event.metaKey) && event.key === "Enter" && target.tagName === "TEXTAREA" && target.form) {
    event.preventDefault();
    if (target.form.requestSubmit) { target.form.requestSubmit(); } else { target.form.submit(); }
  }
});
// The grids: the up and down arrows move between rows. In the register's grid the left and
// right arrows move between days too, and a letter of the legend fills the cell and moves on.
document.addEventListener("keydown", function (event) {
  var cell = event.target;
  var table = cell.tagName === "INPUT" && cell.closest ? cell.closest("table[data-grid]") : null;
  if (!table) { return; }
  var days = table.getAttribute("data-grid") === "asistencia";
  var td = cell.parentElement, tr = td.parentElement;
  var column = Array.prototype.indexOf.call(tr.children, td);
  function focusIn(row, index, step) {
    while (row && row.children[index]) {
      var input = row.children[index].querySelector("input");
      if (input) { input.focus(); input.select(); return true; }
      index += step;
      if (index < 0 || index >= row.children.length) { return false; }
    }
    return false;
  }
  function vertical(next) {
    var row = next ? tr.nextElementSibling : tr.previousElementSibling;
    while (row) {
      var input = row.children[column] && row.children[column].querySelector("input");
      if (input) { input.focus(); input.select(); return; }
      row = next ? row.nextElementSibling : row.previousElementSibling;
    }
  }
  if (!days && (event.key === "ArrowLeft" || event.key === "ArrowRight")) { return; }
  if (event.key === "ArrowRight") { event.preventDefault(); focusIn(tr, column + 1, 1); }
  else if (event.key === "ArrowLeft") { event.preventDefault(); focusIn(tr, column - 1, -1); }
  else if (event.key === "ArrowDown") { event.preventDefault(); vertical(true); }
  else if (event.key === "ArrowUp") { event.preventDefault(); vertical(false); }
  else if (days && event.key.length === 1 && !event.ctrlKey && !event.metaKey && !event.altKey && /^[.aAfFtTjJuU]$/.test(event.key)) {
    event.preventDefault();
    cell.value = event.key === "a" || event.key === "A" ? "." : event.key.toUpperCase();
    focusIn(tr, column + 1, 1);
  }
});
