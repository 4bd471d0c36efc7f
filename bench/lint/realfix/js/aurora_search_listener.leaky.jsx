// source: https://github.com/ticketmaster/aurora/pull/439 ("fix(SearchComponent): remove event listener on unmount")
// label: leaky  item: listener never removed
// Written here after the PR: a search box closes its suggestions on outside clicks; the
// document listener is added on mount and never removed, so each mounted instance stays alive.
import React from "react";

export default class SearchComponent extends React.Component {
  state = { open: false };

  componentDidMount() {
    document.addEventListener("click", this.handleOutsideClick); // LEAK
  }

  handleOutsideClick = (event) => {
    if (this.root && !this.root.contains(event.target)) this.setState({ open: false });
  };

  render() {
    return <div ref={(el) => (this.root = el)}>{this.state.open && this.props.children}</div>;
  }
}
