// The dashboard's own ECharts build: the core and only the charts, components and
// renderer the page draws with (bars, a line, a tree; the grid; canvas), instead of the
// whole library (docs/dashboard.md#how-it-is-built). Legends are HTML in the page, values
// are written on the bars and in each chart's table, and each chart's box is an image
// named by its heading (aria-labelledby) with a table beside it, so the legend, tooltip
// and aria components (about 16 kB gzipped) are left out.
import * as echarts from 'echarts/core';
import { BarChart, LineChart, TreeChart } from 'echarts/charts';
import { GridComponent } from 'echarts/components';
import { CanvasRenderer } from 'echarts/renderers';

echarts.use([BarChart, LineChart, TreeChart, GridComponent, CanvasRenderer]);

export default echarts;
