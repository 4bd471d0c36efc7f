// source: https://github.com/Hyperline/hyperline/pull/69 ("Fix uptime : setInterval leak")
// label: fixed  item: recurring timer never cleared
import React from "react";
import os from "os";

export default class Uptime extends React.Component {
  constructor(props) {
    super(props);
    this.state = { uptime: os.uptime() };
  }

  componentDidMount() {
    this.interval = setInterval(() => this.setState({ uptime: os.uptime() }), 60 * 1000);
  }

  componentWillUnmount() {
    clearInterval(this.interval);
  }

  render() {
    return React.createElement("span", null, `${Math.floor(this.state.uptime / 3600)}h`);
  }
}
