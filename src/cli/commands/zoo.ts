import { graphTotals, inputNode, ZOO } from '../../ir/index.js';
import { formatTable } from '../../util/table.js';
import { humanCount, printJson, shapeStr } from '../io.js';

/** The action of the command registered in src/cli/register/zoo.ts (imported when that command runs). */
export const zooAction = (f: { json?: boolean }) => {
  const rows = Object.entries(ZOO).map(([name, e]) => {
    const g = e.build({});
    const t = graphTotals(g);
    return { name, input: shapeStr(inputNode(g).shape), macs: t.macs, params: t.params, description: e.description };
  });
  if (f.json) return printJson(rows);
  process.stdout.write(
    `${formatTable(
      rows.map((r) => ({ ...r, macs: humanCount(r.macs), params: humanCount(r.params) })),
      [
        { key: 'name', header: 'model' },
        { key: 'input', header: 'input' },
        { key: 'macs', header: 'MACs', align: 'right' },
        { key: 'params', header: 'params', align: 'right' },
        { key: 'description', header: 'description' },
      ],
    )}\n`,
  );
};
