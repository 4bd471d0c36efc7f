// source: https://github.com/FontoXML/fontoxpath/issues/17 ("memory leak in nodeValueCache"; fixed by commit 51be4aff307b7b5035d341b296158bb6cc87127c)
// label: leaky  item: unbounded cache
// Written here after the issue: string values of DOM nodes are cached in a module-level Map
// keyed by the node, so detached nodes can never be collected.
const nodeValueCache = new Map();

function stringValueOf(node) {
  let value = nodeValueCache.get(node);
  if (value === undefined) {
    value = node.textContent || "";
    nodeValueCache.set(node, value); // LEAK
  }
  return value;
}

module.exports = { stringValueOf };
