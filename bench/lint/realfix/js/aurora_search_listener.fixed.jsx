// source: https://github.com/ticketmaster/aurora/pull/439 ("fix(SearchComponent): remove event listener on unmount")
// label: fixed  item: listener never removed
import React from "react";

export default class SearchComponent extends React.Component {
  state = { open: false };

  componentDidMount() {
    document.addEventListener("click", this.handleOutsideClick);
  }

  componentWillUnmount() {
    document.removeEventListener("click", this.handleOutsideClick);
  }

  handleOutsideClick = (event) => {
    if (this.root && !this.root.contains(event.target)) this.setState({ open: false });
  };

  render() {
    return <div ref={(el) => (this.root = el)}>{this.state.open && this.props.children}</div>;
  }
}
