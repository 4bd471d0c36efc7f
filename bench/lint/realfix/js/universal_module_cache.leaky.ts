// source: https://github.com/angular/universal/pull/557 ("fix(platform-node): Remove memory leak")
// label: leaky  item: unbounded cache
// Written here after the PR: a module factory is compiled per request and cached in a
// module-level Map keyed by the request's module object, which never goes away.
const factoryCache = new Map<object, Promise<unknown>>();

export function factoryFor(compiler: { compileModuleAsync(m: object): Promise<unknown> }, moduleType: object) {
  let factory = factoryCache.get(moduleType);
  if (!factory) {
    factory = compiler.compileModuleAsync(moduleType);
    factoryCache.set(moduleType, factory); // LEAK
  }
  return factory;
}
