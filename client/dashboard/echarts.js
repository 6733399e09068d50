// The dashboard's own ECharts build: the core and only the charts, components and
// renderer the page draws with (bars, a line, a tree; grid, aria; canvas), instead of the
// whole library (docs/dashboard.md#how-it-is-built). Legends are HTML in the page and
// values are written on the bars and in each chart's table, so the legend and tooltip
// components (about 15 KB gzipped) are left out.
import * as echarts from 'echarts/core';
import { BarChart, LineChart, TreeChart } from 'echarts/charts';
import { AriaComponent, GridComponent } from 'echarts/components';
import { CanvasRenderer } from 'echarts/renderers';

echarts.use([BarChart, LineChart, TreeChart, AriaComponent, GridComponent, CanvasRenderer]);

export default echarts;
