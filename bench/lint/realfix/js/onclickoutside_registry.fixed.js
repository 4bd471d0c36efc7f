// source: https://github.com/Pomax/react-onclickoutside/pull/4 ("clean up handlers to avoid leaking memory")
// label: fixed  item: unbounded cache (module-level registry)
const registeredComponents = [];
const handlers = [];

module.exports = {
  componentDidMount() {
    const component = this;
    const fn = function (evt) {
      if (!component.domNode.contains(evt.target)) component.handleClickOutside(evt);
    };
    document.addEventListener("mousedown", fn);
    registeredComponents.push(component);
    handlers.push(fn);
  },

  componentWillUnmount() {
    const i = registeredComponents.indexOf(this);
    if (i >= 0) {
      document.removeEventListener("mousedown", handlers[i]);
      registeredComponents.splice(i, 1);
      handlers.splice(i, 1);
    }
  },
};
