// source: https://github.com/RunOnFlux/flux/pull/1623 ("Bugix: Fix memory leak in app monitoring")
// label: leaky  item: recurring timer never cleared
// Written here after the PR's description: restarting an app's monitoring overwrote the stored
// interval before clearing it, so the old interval ran forever.
const appsMonitored = {};

function startAppMonitoring(appName, sample) {
  if (!appsMonitored[appName]) appsMonitored[appName] = { stats: [] };
  appsMonitored[appName].oneMinuteInterval = setInterval(async () => { // LEAK
    appsMonitored[appName].stats.push(await sample(appName));
    if (appsMonitored[appName].stats.length > 60) appsMonitored[appName].stats.shift();
  }, 60 * 1000);
}

function stopAppMonitoring(appName) {
  if (appsMonitored[appName]) clearInterval(appsMonitored[appName].oneMinuteInterval);
  delete appsMonitored[appName];
}

module.exports = { startAppMonitoring, stopAppMonitoring };
