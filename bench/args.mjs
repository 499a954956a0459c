// args.mjs: the command-line parsing the bench scripts share.

/**
 * parseOptions reads --name value and --name=value pairs from argv into a copy
 * of defaults (numbers where the default is a number). A dashed name maps to
 * the camel-case key of the same words (--model-reps: modelReps). Anything
 * else, or a name not in defaults, throws.
 */
export function parseOptions(argv, defaults) {
  const o = { ...defaults };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('--')) throw new Error(`unexpected argument ${a}`);
    let [k, v] = a.slice(2).split(/=(.*)/s);
    if (v === undefined) v = argv[++i];
    const key = k.replace(/-([a-z])/g, (_, c) => c.toUpperCase());
    if (!(key in o)) throw new Error(`unknown option --${k}`);
    o[key] = typeof o[key] === 'number' ? Number(v) : v;
  }
  return o;
}
