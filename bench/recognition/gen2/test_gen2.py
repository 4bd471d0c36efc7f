"""Checks of the generator's invariants and of the baseline rules: python3 -m unittest -v test_gen2

Generates a small dev split (same code path as the real one) and asserts what labels.json
and the CSVs promise; a broken grid, label or rule makes one of these fail.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import baselines  # noqa: E402
import gen  # noqa: E402


class GeneratedSplit(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        cls.doc = gen.generate("dev", cls.tmp.name, 120, 4242, quiet=True)

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def read(self, file):
        with open(os.path.join(self.tmp.name, file)) as f:
            head = f.readline().strip().split(",")
            rows = [line.strip().split(",") for line in f]
        return head, [float(a) for a, _ in rows], [int(b) for _, b in rows]

    def test_mix_of_labels_and_hard_cases(self):
        s = self.doc["series"]
        leaks = sum(x["label"] == "leak" for x in s)
        hard = sum(x["hard"] for x in s)
        self.assertGreaterEqual(leaks / len(s), 0.30)
        self.assertTrue(0.10 <= hard / len(s) <= 0.35, hard)
        self.assertEqual(len({x["pattern"] for x in s}), len(gen.PATTERNS))

    def test_csv_contract(self):
        for x in self.doc["series"]:
            head, ts, vs = self.read(x["file"])
            self.assertEqual(head, ["timestamp", x["name"]])
            self.assertEqual(len(ts), x["points"])
            self.assertLessEqual(len(ts), 20000)
            self.assertTrue(all(b > a for a, b in zip(ts, ts[1:])), x["file"])  # strictly increasing
            self.assertTrue(all(v > 0 for v in vs), x["file"])
            self.assertTrue(1.767e9 <= ts[0] <= 1.797e9, ts[0])  # 2026
            if x["limit_bytes"]:
                self.assertLessEqual(max(vs), x["limit_bytes"] + (1 << 20), x["file"])  # + one quantum

    def test_leak_truth(self):
        for x in self.doc["series"]:
            if x["label"] == "leak":
                self.assertGreater(x["true_growth_bytes_per_hour"], 0, x["file"])
                self.assertTrue(x["start_ts"] <= x["onset_ts"] < x["end_ts"], x["file"])
            else:
                self.assertIsNone(x["onset_ts"])
                self.assertEqual(x["true_growth_bytes_per_hour"], 0.0)

    def test_deterministic(self):
        with tempfile.TemporaryDirectory() as one, tempfile.TemporaryDirectory() as two:
            gen.generate("dev", one, 12, 99, quiet=True)
            gen.generate("dev", two, 12, 99, quiet=True)
            self.assertEqual(gen.digests("dev", one), gen.digests("dev", two))
            gen.generate("dev", two, 12, 100, quiet=True)  # another seed, another corpus
            self.assertNotEqual(gen.digests("dev", one), gen.digests("dev", two))

    def test_labels_json_is_plain_json(self):
        with open(os.path.join(self.tmp.name, "labels.json")) as f:
            self.assertEqual(json.load(f)["count"], 120)


class BaselineRules(unittest.TestCase):
    def line(self, mb_per_h, hours=3.0, step_s=10, base=10**9):
        n = int(hours * 3600 / step_s)
        ts = [i * step_s * 1000 for i in range(n)]
        return ts, [base + int(mb_per_h * 1e6 * i * step_s / 3600) for i in range(n)]

    def test_rule_a_fires_above_50_mb_per_hour_only(self):
        self.assertIsNone(baselines.evaluate(*self.line(40), None)["rule_a"])
        self.assertEqual(baselines.evaluate(*self.line(60), None)["rule_a"], 3600.0)

    def test_rules_need_a_full_hour(self):
        r = baselines.evaluate(*self.line(5000, hours=0.9), None)
        self.assertIsNone(r["rule_a"])
        self.assertIsNone(r["rule_b"])

    def test_rule_b_projects_to_the_limit(self):
        ts, vs = self.line(100)  # 1.0 GB + 100 MB/h: 1.3 GB after 3 h, +0.4 GB projected
        self.assertIsNone(baselines.evaluate(ts, vs, 2e9)["rule_b"])  # never within 4 h of 2 GB
        fired = baselines.evaluate(ts, vs, 1.5e9)["rule_b"]
        self.assertIsNotNone(fired)
        self.assertAlmostEqual(fired, 3600.0, delta=60)  # 1.1 GB + 0.4 GB reaches 1.5 GB at 1 h


if __name__ == "__main__":
    unittest.main()
