// A small, dependency-free line chart as SVG, for the README: one x axis (log2 or log10 steps are
// passed as they are), one or more series, labelled axes.

export interface Series {
  name: string;
  color: string;
  points: Array<[number, number]>;
}

export interface Chart {
  title: string;
  xLabel: string;
  yLabel: string;
  series: Series[];
  /** Plot x on a log scale (the x values are 1, 2, 4… or 10, 100…). */
  logX?: boolean;
}

const W = 460;
const H = 300;
const M = { left: 64, right: 16, top: 36, bottom: 48 };

const esc = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;');
const nice = (value: number) => (value >= 100 ? value.toFixed(0) : value >= 10 ? value.toFixed(1) : value.toFixed(2));

/** One chart as an SVG `<g>` translated to (dx, dy). */
function chartGroup(chart: Chart, dx: number, dy: number): string {
  const xs = chart.series.flatMap((s) => s.points.map(([x]) => x));
  const ys = chart.series.flatMap((s) => s.points.map(([, y]) => y));
  const fx = chart.logX ? Math.log10 : (x: number) => x;
  const [x0, x1] = [Math.min(...xs.map(fx)), Math.max(...xs.map(fx))];
  const y1 = Math.max(...ys) * 1.1;
  const px = (x: number) => M.left + ((fx(x) - x0) / (x1 - x0 || 1)) * (W - M.left - M.right);
  const py = (y: number) => H - M.bottom - (y / (y1 || 1)) * (H - M.top - M.bottom);
  const parts: string[] = [];
  parts.push(`<text x="${W / 2}" y="20" text-anchor="middle" font-weight="bold">${esc(chart.title)}</text>`);
  parts.push(`<line x1="${M.left}" y1="${H - M.bottom}" x2="${W - M.right}" y2="${H - M.bottom}" stroke="#444"/>`);
  parts.push(`<line x1="${M.left}" y1="${M.top}" x2="${M.left}" y2="${H - M.bottom}" stroke="#444"/>`);
  for (const x of [...new Set(xs)]) {
    parts.push(`<text x="${px(x)}" y="${H - M.bottom + 16}" text-anchor="middle" font-size="11">${x}</text>`);
  }
  for (let i = 0; i <= 4; i++) {
    const y = (y1 / 4) * i;
    parts.push(`<text x="${M.left - 6}" y="${py(y) + 4}" text-anchor="end" font-size="11">${nice(y)}</text>`);
    parts.push(`<line x1="${M.left}" y1="${py(y)}" x2="${W - M.right}" y2="${py(y)}" stroke="#ddd"/>`);
  }
  parts.push(`<text x="${W / 2}" y="${H - 10}" text-anchor="middle" font-size="12">${esc(chart.xLabel)}</text>`);
  parts.push(
    `<text x="14" y="${H / 2}" text-anchor="middle" font-size="12" transform="rotate(-90 14 ${H / 2})">${esc(chart.yLabel)}</text>`,
  );
  chart.series.forEach((series, index) => {
    const path = series.points
      .map(([x, y], i) => `${i === 0 ? 'M' : 'L'}${px(x).toFixed(1)},${py(y).toFixed(1)}`)
      .join(' ');
    parts.push(`<path d="${path}" fill="none" stroke="${series.color}" stroke-width="2"/>`);
    for (const [x, y] of series.points)
      parts.push(`<circle cx="${px(x)}" cy="${py(y)}" r="3" fill="${series.color}"/>`);
    const ly = M.top + 4 + index * 16;
    parts.push(`<rect x="${M.left + 10}" y="${ly - 9}" width="10" height="10" fill="${series.color}"/>`);
    parts.push(`<text x="${M.left + 26}" y="${ly}" font-size="11">${esc(series.name)}</text>`);
  });
  return `<g transform="translate(${dx},${dy})">${parts.join('')}</g>`;
}

/** Charts side by side in one SVG document. */
export function svgCharts(charts: Chart[], caption: string): string {
  const width = W * charts.length;
  const body = charts.map((chart, i) => chartGroup(chart, i * W, 0)).join('');
  const title = charts.map((chart) => chart.title).join('; ');
  return `<svg xmlns="http://www.w3.org/2000/svg" role="img" width="${width}" height="${H + 24}" viewBox="0 0 ${width} ${H + 24}" font-family="sans-serif">
<title>${esc(title)}</title>
<rect width="100%" height="100%" fill="white"/>${body}
<text x="8" y="${H + 16}" font-size="11" fill="#555">${esc(caption)}</text>
</svg>
`;
}
