// source: https://github.com/SignalK/signalk-server/pull/2226 ("fix: add event listener cleanup in Header component")
// label: leaky  item: listener never removed
// Written here after the PR: the admin UI header listens for a sidebar event and history
// navigation on window and never stops listening.
import React, { Component } from "react";

class Header extends Component {
  constructor(props) {
    super(props);
    this.state = { sidebarHidden: false };
    this.onSidebarHide = () => this.setState({ sidebarHidden: true });
    this.onPopState = () => this.setState({ path: window.location.pathname });
  }

  componentDidMount() {
    window.addEventListener("sidebar:hide", this.onSidebarHide); // LEAK
    window.addEventListener("popstate", this.onPopState); // LEAK
  }

  render() {
    return <header className={this.state.sidebarHidden ? "wide" : ""}>{this.props.title}</header>;
  }
}

export default Header;
