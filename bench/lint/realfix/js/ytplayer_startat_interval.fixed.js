// source: https://github.com/pupunzi/jquery.mb.YTPlayer/pull/92 ("set interval memory leak")
// label: fixed  item: recurring timer never cleared
function createPlayer(el, opts) {
  const player = { el, opts, yt: null };
  player.checkForStartAt = setInterval(function () {
    if (player.yt && player.yt.getCurrentTime() >= opts.startAt) player.yt.playVideo();
  }, 100);
  player.destroy = function () {
    clearInterval(player.checkForStartAt);
    el.innerHTML = "";
    player.yt = null;
  };
  return player;
}

module.exports = { createPlayer };
