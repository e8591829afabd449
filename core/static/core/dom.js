/* What the admin pages' scripts share (load it before them). Plain JavaScript, no library. */
window.orchestrator = Object.assign(window.orchestrator || {}, {
  // A new `tag` element of class `className` (none if empty), with `text` if it is given.
  element(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  },
});
