// source: https://github.com/pupunzi/jquery.mb.YTPlayer/pull/92 ("set interval memory leak")
// label: leaky  item: recurring timer never cleared
// Written here after the PR: a player polls for its start position with an interval kept on
// the player; destroying the player does not clear it, so the interval and player live on.
function createPlayer(el, opts) {
  const player = { el, opts, yt: null };
  player.checkForStartAt = setInterval(function () { // LEAK
    if (player.yt && player.yt.getCurrentTime() >= opts.startAt) player.yt.playVideo();
  }, 100);
  player.destroy = function () {
    el.innerHTML = "";
    player.yt = null;
  };
  return player;
}

module.exports = { createPlayer };
