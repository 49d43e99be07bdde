// chart.js — the indicators chart (ECharts from npm): per county, the estimate as a point and
// its interval as a bar, the plan's threshold as a line, coloured by the verdict the server
// gave. It draws values only: the threshold's value and the verdict text come from the API
// (pinggu indicators --json); nothing here compares a value with a threshold.
import * as echarts from 'echarts/core';
import { ScatterChart, CustomChart } from 'echarts/charts';
import { GridComponent, TooltipComponent, MarkLineComponent, LegendComponent } from 'echarts/components';
import { CanvasRenderer } from 'echarts/renderers';

echarts.use([ScatterChart, CustomChart, GridComponent, TooltipComponent, MarkLineComponent, LegendComponent, CanvasRenderer]);

// the server's verdict words → a colour (presentation only)
const COLOURS = { 'clearly within': '#2e7d32', 'clearly outside': '#c62828', 'too close to call': '#ef6c00' };
const colour = (verdict) => {
  for (const [k, c] of Object.entries(COLOURS)) if (String(verdict || '').includes(k)) return c;
  return '#555';
};

export function drawFigures(node, units, key) {
  const chart = echarts.getInstanceByDom(node) || echarts.init(node);
  const rows = units.filter((u) => u[key] && u[key].valid);
  const names = rows.map((u) => `${u.name} ${u.code}`);
  const threshold = rows.find((u) => u[key].threshold)?.[key].threshold;
  chart.setOption({
    animation: false,
    tooltip: { trigger: 'item' },
    grid: { left: 60, right: 30, top: 30, bottom: 80 },
    xAxis: { type: 'category', data: names, axisLabel: { rotate: 30 } },
    // the axis reaches the threshold's line (drawing only: the value is the plan's, from the API)
    yAxis: { type: 'value', max: threshold ? (ext) => Math.max(ext.max, threshold.value) * 1.1 : null, axisLabel: { formatter: (v) => `${(v * 100).toFixed(1)}%` } },
    series: [
      {
        name: '区间 interval',
        type: 'custom',
        renderItem: (params, api) => {
          const lo = api.coord([api.value(0), api.value(1)]);
          const hi = api.coord([api.value(0), api.value(2)]);
          const w = 8;
          const style = { stroke: api.visual('color'), lineWidth: 2 };
          return { type: 'group', children: [
            { type: 'line', shape: { x1: lo[0], y1: lo[1], x2: hi[0], y2: hi[1] }, style },
            { type: 'line', shape: { x1: lo[0] - w, y1: lo[1], x2: lo[0] + w, y2: lo[1] }, style },
            { type: 'line', shape: { x1: hi[0] - w, y1: hi[1], x2: hi[0] + w, y2: hi[1] }, style },
          ] };
        },
        data: rows.map((u, i) => ({ value: [i, u[key].lower ?? u[key].estimate, u[key].upper ?? u[key].estimate], itemStyle: { color: colour(u[key].interval_verdict) } })),
      },
      {
        name: '估计 estimate',
        type: 'scatter',
        symbolSize: 10,
        data: rows.map((u, i) => ({ value: [i, u[key].estimate], itemStyle: { color: colour(u[key].interval_verdict) }, verdict: u[key].interval_verdict })),
        tooltip: { formatter: (p) => `${names[p.value[0]]}<br>${(p.value[1] * 100).toFixed(2)}%<br>${p.data.verdict || ''}` },
        markLine: threshold ? { symbol: 'none', label: { formatter: `${threshold.words || ''} ${threshold.op} ${(threshold.value * 100).toFixed(0)}%` }, lineStyle: { type: 'dashed', color: '#8b1a1a' }, data: [{ yAxis: threshold.value }] } : undefined,
      },
    ],
  }, true);
  return chart;
}
