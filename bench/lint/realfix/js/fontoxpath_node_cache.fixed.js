// source: https://github.com/FontoXML/fontoxpath/issues/17 ("memory leak in nodeValueCache"; fixed by commit 51be4aff307b7b5035d341b296158bb6cc87127c)
// label: fixed  item: unbounded cache
const nodeValueCache = new WeakMap();

function stringValueOf(node) {
  let value = nodeValueCache.get(node);
  if (value === undefined) {
    value = node.textContent || "";
    nodeValueCache.set(node, value);
  }
  return value;
}

module.exports = { stringValueOf };
