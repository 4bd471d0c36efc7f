// source: https://github.com/SignalK/signalk-server/pull/2226 ("fix: add event listener cleanup in Header component")
// label: fixed  item: listener never removed
import React, { Component } from "react";

class Header extends Component {
  constructor(props) {
    super(props);
    this.state = { sidebarHidden: false };
    this.onSidebarHide = () => this.setState({ sidebarHidden: true });
    this.onPopState = () => this.setState({ path: window.location.pathname });
  }

  componentDidMount() {
    window.addEventListener("sidebar:hide", this.onSidebarHide);
    window.addEventListener("popstate", this.onPopState);
  }

  componentWillUnmount() {
    window.removeEventListener("sidebar:hide", this.onSidebarHide);
    window.removeEventListener("popstate", this.onPopState);
  }

  render() {
    return <header className={this.state.sidebarHidden ? "wide" : ""}>{this.props.title}</header>;
  }
}

export default Header;
