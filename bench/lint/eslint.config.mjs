// ESLint's nearest rule set to `leakscope lint` for JS (speed benchmark, docs/benchmarks/lint.md):
// eslint-plugin-listeners (unpaired listeners) plus core rules that walk the same code.
import listeners from "eslint-plugin-listeners";
export default [
  {
    files: ["**/*.js", "**/*.mjs", "**/*.cjs"],
    languageOptions: { ecmaVersion: "latest", sourceType: "commonjs" },
    plugins: { listeners },
    rules: {
      "listeners/no-missing-remove-event-listener": "warn",
      "listeners/matching-remove-event-listener": "warn",
      "no-unused-vars": "warn",
      "no-undef": "off",
    },
  },
];
