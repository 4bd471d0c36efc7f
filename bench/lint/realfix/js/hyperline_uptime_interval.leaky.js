// source: https://github.com/Hyperline/hyperline/pull/69 ("Fix uptime : setInterval leak")
// label: leaky  item: recurring timer never cleared
// Written here after the PR: a status-line plugin refreshes the uptime every minute from an
// interval started on mount and never cleared, so unmounted plugins keep running.
import React from "react";
import os from "os";

export default class Uptime extends React.Component {
  constructor(props) {
    super(props);
    this.state = { uptime: os.uptime() };
  }

  componentDidMount() {
    setInterval(() => this.setState({ uptime: os.uptime() }), 60 * 1000); // LEAK
  }

  render() {
    return React.createElement("span", null, `${Math.floor(this.state.uptime / 3600)}h`);
  }
}
