// source: https://github.com/Pomax/react-onclickoutside/pull/4 ("clean up handlers to avoid leaking memory")
// label: leaky  item: unbounded cache (module-level registry)
// Written here after the PR: every mounting component is pushed onto module-level arrays of
// components and handlers that are never pruned on unmount.
const registeredComponents = [];
const handlers = [];

module.exports = {
  componentDidMount() {
    const component = this;
    const fn = function (evt) {
      if (!component.domNode.contains(evt.target)) component.handleClickOutside(evt);
    };
    document.addEventListener("mousedown", fn);
    registeredComponents.push(component); // LEAK
    handlers.push(fn); // LEAK
  },

  componentWillUnmount() {
    const i = registeredComponents.indexOf(this);
    if (i >= 0) document.removeEventListener("mousedown", handlers[i]);
  },
};
