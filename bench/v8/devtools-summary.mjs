// Per-class Summary numbers computed by the DevTools worker code (heap-snapshot-toolkit),
// grouped by class name with inferred interfaces turned off (leakscope groups plain
// objects as "Object"). Usage:
//   node devtools-summary.mjs FILE.heapsnapshot > expected.json
//   node devtools-summary.mjs --diff A.heapsnapshot B.heapsnapshot > expected-diff.json
import { createReadStream } from 'node:fs'
import { parse } from 'heap-snapshot-toolkit'

async function load (file) {
  const s = await parse(createReadStream(file))
  await s.applyInterfaceDefinitions([])
  return s
}

function byName (aggregates) {
  const out = {}
  for (const key of Object.keys(aggregates)) {
    const a = aggregates[key]
    const o = out[a.name] ??= { count: 0, shallow_size: 0, retained_size: 0, distance: Infinity }
    o.count += a.count
    o.shallow_size += a.self
    o.retained_size += a.maxRet
    o.distance = Math.min(o.distance, a.distance)
  }
  return out
}

const args = process.argv.slice(2)
if (args[0] === '--diff') {
  const a = await load(args[1])
  const aggA = a.aggregatesForDiff('[]')
  const b = await load(args[2])
  const d = b.calculateSnapshotDiff(a.uid, aggA)
  const out = {}
  for (const key of Object.keys(d)) {
    const x = d[key]
    const o = out[x.name] ??= { new: 0, deleted: 0, delta: 0, alloc_size: 0, freed_size: 0, size_delta: 0 }
    o.new += x.addedCount; o.deleted += x.removedCount; o.delta += x.countDelta
    o.alloc_size += x.addedSize; o.freed_size += x.removedSize; o.size_delta += x.sizeDelta
  }
  console.log(JSON.stringify({ tool: 'heap-snapshot-toolkit', classes: out }, null, 1))
} else {
  const s = await load(args[0])
  const aggs = byName(s.aggregatesWithFilter({}))
  for (const v of Object.values(aggs)) v.retained_size = Math.round(v.retained_size)
  console.log(JSON.stringify({
    tool: 'heap-snapshot-toolkit',
    total_size: s.getStatistics().total,
    node_count: s.nodeCount,
    classes: aggs
  }, null, 1))
}
