// source: https://github.com/angular/universal/pull/557 ("fix(platform-node): Remove memory leak")
// label: fixed  item: unbounded cache
// A WeakMap: an entry goes when its module object is no longer referenced.
const factoryCache = new WeakMap<object, Promise<unknown>>();

export function factoryFor(compiler: { compileModuleAsync(m: object): Promise<unknown> }, moduleType: object) {
  let factory = factoryCache.get(moduleType);
  if (!factory) {
    factory = compiler.compileModuleAsync(moduleType);
    factoryCache.set(moduleType, factory);
  }
  return factory;
}
