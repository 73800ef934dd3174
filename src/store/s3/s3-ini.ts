/**
 * The INI dialect of `~/.aws/credentials` and `~/.aws/config`, read as the AWS CLI reads it: `[section]`
 * headers, `key = value` lines (keys case-insensitive), full-line `#` and `;` comments, and indented
 * sub-keys under a key with no value (`s3 =` then `  addressing_style = path`), kept as `s3.addressing_style`.
 */

/** Sections by name, each its keys (lower case) and values. */
export type IniSections = Map<string, Map<string, string>>;

/**
 * Parses INI text (a pure function: the platform reads the files).
 *
 * @example
 * parseIni('[default]\naws_access_key_id = AKIA1\n[profile dev]\nregion = eu-west-1\ns3 =\n  addressing_style = path\n');
 * // Map { 'default' => Map { 'aws_access_key_id' => 'AKIA1' },
 * //       'profile dev' => Map { 'region' => 'eu-west-1', 's3' => '', 's3.addressing_style' => 'path' } }
 */
export function parseIni(text: string): IniSections {
  const sections: IniSections = new Map();
  let current: Map<string, string> | undefined;
  // The key whose value is empty: indented lines below it are its sub-keys.
  let parent: string | undefined;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const header = /^\[([^\]]*)\]/.exec(line);
    if (header) {
      const name = header[1]!.trim().replace(/\s+/g, ' ');
      current = sections.get(name) ?? new Map();
      sections.set(name, current);
      parent = undefined;
      continue;
    }
    const eq = line.indexOf('=');
    if (!current || eq < 1) continue;
    const key = line.slice(0, eq).trim().toLowerCase();
    const value = line.slice(eq + 1).trim();
    const indented = /^\s/.test(raw);
    if (indented && parent !== undefined) {
      current.set(`${parent}.${key}`, value);
      continue;
    }
    current.set(key, value);
    parent = value === '' ? key : undefined;
  }
  return sections;
}
