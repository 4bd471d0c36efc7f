// source: https://github.com/RunOnFlux/flux/pull/1623 ("Bugix: Fix memory leak in app monitoring")
// label: fixed  item: recurring timer never cleared
const appsMonitored = {};

function startAppMonitoring(appName, sample) {
  if (!appsMonitored[appName]) appsMonitored[appName] = { stats: [] };
  clearInterval(appsMonitored[appName].oneMinuteInterval);
  appsMonitored[appName].oneMinuteInterval = setInterval(async () => {
    appsMonitored[appName].stats.push(await sample(appName));
    if (appsMonitored[appName].stats.length > 60) appsMonitored[appName].stats.shift();
  }, 60 * 1000);
}

function stopAppMonitoring(appName) {
  if (appsMonitored[appName]) clearInterval(appsMonitored[appName].oneMinuteInterval);
  delete appsMonitored[appName];
}

module.exports = { startAppMonitoring, stopAppMonitoring };
