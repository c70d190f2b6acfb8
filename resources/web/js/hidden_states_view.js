// View 1, hidden states: the norm of the selected token's hidden state after each layer (bars, with the mean
// over all tokens as a line for comparison), and the norms of every layer and token as a heatmap.
'use strict';
window.Loom = window.Loom || {};

// Row i of the hidden states is the embedding (i = 0) or the output of layer i - 1.
Loom.layerLabel = (i) => (i === 0 ? 'emb' : `L${i - 1}`);
Loom.layerName = (i) => (i === 0 ? 'the embedding' : `after layer ${i - 1}`);
// Which of `rows` hidden-state rows get a label when only every `step`-th fits: the embedding, then
// L0, L5, L10... (for step 5), and the last layer when there is room for it.
Loom.layerTicks = (rows, step) => {
    if (step <= 1) return Array.from({length: rows}, (_, i) => i);
    const ticks = [0];
    for (let i = 1 + step; i < rows; i += step)
        ticks.push(i);
    const last = rows - 1;
    if (ticks[ticks.length - 1] !== last) {
        if (last - ticks[ticks.length - 1] < step / 2) ticks.pop();
        ticks.push(last);
    }
    return ticks;
};

Loom.HiddenStatesView = class {
    // app: {pick(position)}
    constructor(container, app) {
        this.container = container;
        this.app = app;
        this.scaleMode = 'log';
        this.bars = Loom.dom.el('canvas', {class: 'bars'});
        this.barsTitle = Loom.dom.el('span', {class: 'card-sub'});
        this.barsNote = Loom.dom.el('div', {class: 'note'});
        this.heatmap = new Loom.Heatmap({
            onHover: (row, col) => this.describeCell(row, col),
            onClick: (row, col) => this.app.pick(col),
        });
        // The layer labels stay put while a long conversation scrolls sideways.
        this.rowAxis = Loom.dom.el('canvas', {class: 'row-axis'});
        this.heatmapScroll = Loom.dom.el('div', {class: 'scroll-x'}, this.heatmap.element);
        this.heatmapFrame = Loom.dom.el('div', {class: 'heatmap-frame'}, this.rowAxis, this.heatmapScroll);
        this.legendSlot = Loom.dom.el('div', {class: 'legend-slot'});
        const scaleSelect = Loom.dom.el(
            'select', {
                title: 'How norms map to colours',
                onchange: (e) => {
                    this.scaleMode = e.target.value;
                    this.render(this.state);
                }
            },
            Loom.dom.el('option', {value: 'log'}, 'log scale'),
            Loom.dom.el('option', {value: 'linear'}, 'linear scale'),
            Loom.dom.el('option', {value: 'layer'}, 'relative to each layer'));
        this.empty = Loom.dom.el(
            'div', {class: 'placeholder'},
            'No hidden states yet: they appear as the model reads and writes tokens.');
        this.content = Loom.dom.el(
            'div', {},
            Loom.dom.el(
                'div', {class: 'card'},
                Loom.dom.el(
                    'div', {class: 'card-head'}, Loom.dom.el('h2', {}, 'Hidden-state norm per layer'),
                    this.barsTitle),
                this.bars, this.barsNote),
            Loom.dom.el(
                'div', {class: 'card'},
                Loom.dom.el(
                    'div', {class: 'card-head'}, Loom.dom.el('h2', {}, 'Norms across layers and tokens'),
                    Loom.dom.el('label', {class: 'control'}, scaleSelect)),
                this.heatmapFrame, this.legendSlot,
                Loom.dom.el('div', {class: 'note'}, 'Click a column to select its token.')));
        Loom.tooltip.attach(this.bars, (event) => this.describeBar(event));
        container.append(this.empty, this.content);
    }

    render(state) {
        this.state = state;
        const hasData =
            state.positions.some((p) => p.norms && p.norms.length) && !!state.positions[state.selected];
        this.empty.hidden = hasData;
        this.content.hidden = !hasData;
        if (!hasData) return;
        this.renderBars(state);
        this.renderHeatmap(state);
    }

    // --- norms of the selected token, per layer --------------------------------------------------------

    renderBars(state) {
        const selected = state.positions[state.selected];
        const values = selected.norms || [];
        const rows = values.length || state.model.layers + 1;
        // The mean norm per layer over every token that has norms.
        const mean = new Array(rows).fill(0);
        let counted = 0;
        for (const p of state.positions) {
            if (!p.norms || p.norms.length !== rows) continue;
            p.norms.forEach((v, i) => {
                mean[i] += v;
            });
            ++counted;
        }
        for (let i = 0; i < rows; ++i)
            mean[i] /= Math.max(counted, 1);
        this.barData = {values, mean, rows};

        this.barsTitle.textContent = `token #${state.selected} ${Loom.dom.quote(selected.text)}`;
        this.barsNote.textContent = `Bars: this token. Line: mean over all ${counted} tokens. ` +
            'emb = after the embedding, Lk = after layer k.';

        const width = Math.max(240, this.container.clientWidth - 24), height = 150;
        const margin = {left: 44, right: 8, top: 8, bottom: 22};
        const context = Loom.canvas.setup(this.bars, width, height);
        const plotWidth = width - margin.left - margin.right,
              plotHeight = height - margin.top - margin.bottom;
        const max = Math.max(...values, ...mean, 1e-9);
        const ticks = Loom.canvas.ticks(0, max, 4);
        const top = Math.max(max, ticks[ticks.length - 1]);
        const y = (v) => margin.top + plotHeight * (1 - v / top);
        const slot = plotWidth / rows;
        this.barGeometry = {margin, slot, rows};

        context.fillStyle = Loom.theme.plot;
        context.fillRect(margin.left, margin.top, plotWidth, plotHeight);
        context.textAlign = 'right';
        for (const tick of ticks) {
            context.fillStyle = Loom.theme.grid;
            context.fillRect(margin.left, Math.round(y(tick)), plotWidth, 1);
            context.fillStyle = Loom.theme.muted;
            context.fillText(Loom.format.number(tick), margin.left - 5, y(tick));
        }
        const barWidth = Math.max(1, Math.min(slot * 0.72, 28));
        context.fillStyle = Loom.theme.accent;
        values.forEach((v, i) => {
            const x = margin.left + slot * (i + 0.5) - barWidth / 2;
            context.fillRect(x, y(v), barWidth, y(0) - y(v));
        });
        // The mean as a line with dots.
        context.strokeStyle = Loom.theme.muted;
        context.fillStyle = Loom.theme.muted;
        context.lineWidth = 1.5;
        context.beginPath();
        mean.forEach((v, i) => {
            const x = margin.left + slot * (i + 0.5);
            if (i === 0)
                context.moveTo(x, y(v));
            else
                context.lineTo(x, y(v));
        });
        context.stroke();
        if (slot >= 6)
            mean.forEach((v, i) => {
                context.beginPath();
                context.arc(margin.left + slot * (i + 0.5), y(v), 2, 0, 2 * Math.PI);
                context.fill();
            });
        context.lineWidth = 1;
        // Layer labels, thinned out when they would overlap.
        context.textAlign = 'center';
        context.fillStyle = Loom.theme.muted;
        for (const i of Loom.layerTicks(rows, Loom.canvas.labelStep(slot, 26))) {
            context.fillText(Loom.layerLabel(i), margin.left + slot * (i + 0.5), height - margin.bottom + 11);
        }
        context.strokeStyle = Loom.theme.border;
        context.strokeRect(margin.left - 0.5, margin.top - 0.5, plotWidth + 1, plotHeight + 1);
    }

    describeBar(event) {
        if (!this.barGeometry || !this.barData) return null;
        const box = this.bars.getBoundingClientRect();
        const {margin, slot, rows} = this.barGeometry;
        const i = Math.floor((event.clientX - box.left - margin.left) / slot);
        if (i < 0 || i >= rows) return null;
        const value = this.barData.values[i];
        return [
            `${Loom.layerLabel(i)}: ${Loom.layerName(i)}`,
            `\u2016h\u2016 = ${value === undefined ? 'not captured' : Loom.format.exact(value)}`,
            `mean over tokens = ${Loom.format.exact(this.barData.mean[i])}`
        ];
    }

    // --- layers x tokens ---------------------------------------------------------------------------------

    renderHeatmap(state) {
        const positions = state.positions;
        const rows = state.model.layers + 1, cols = positions.length;
        const axisWidth = 40;
        const margin = {left: 1, right: 8, top: 4, bottom: 32};
        const available =
            Math.max(120, this.container.clientWidth - 24 - axisWidth - margin.left - margin.right);
        let cellWidth = Math.min(24, Math.max(2, available / cols));
        if (cellWidth * cols > 16000) cellWidth = 16000 / cols;  // canvases have a size limit
        const cellHeight = Math.min(16, Math.max(3, Math.floor(260 / rows)));

        const unit = this.unitFunction(positions, rows);
        const viridis = Loom.colors.viridis;
        const colStep = Loom.canvas.labelStep(cellWidth, 36);
        const colTicks = [];
        for (let i = 0; i < cols; i += colStep)
            colTicks.push({index: i, label: String(i)});

        this.heatmap.render({
            rows,
            cols,
            cellWidth,
            cellHeight,
            margin,
            colTicks,
            colTitle: 'token position',
            color: (row, col) => {
                const norms = positions[col].norms;
                return norms && row < norms.length ? viridis(unit(norms[row], row)) : null;
            },
            outlineCols: [state.selected],
        });
        this.renderRowAxis(rows, cellHeight, axisWidth, margin);

        // Keep the selected token's column in view.
        const x = margin.left + (state.selected + 0.5) * cellWidth;
        const scroller = this.heatmapScroll;
        if (x < scroller.scrollLeft || x > scroller.scrollLeft + scroller.clientWidth - margin.right)
            scroller.scrollLeft = Math.max(0, x - scroller.clientWidth / 2);

        Loom.dom.clear(this.legendSlot).append(this.legend());
    }

    // The layer labels of the heatmap's rows, thinned out when they would overlap.
    renderRowAxis(rows, cellHeight, width, margin) {
        const context =
            Loom.canvas.setup(this.rowAxis, width, margin.top + rows * cellHeight + margin.bottom);
        context.fillStyle = Loom.theme.muted;
        context.textAlign = 'right';
        for (const i of Loom.layerTicks(rows, Loom.canvas.labelStep(cellHeight, 13))) {
            context.fillText(Loom.layerLabel(i), width - 5, margin.top + (i + 0.5) * cellHeight);
        }
    }

    // value, row -> [0, 1] for the chosen scale; also remembers the domain for the legend.
    unitFunction(positions, rows) {
        let min = Infinity, max = 0;
        const rowMax = new Array(rows).fill(0);
        for (const p of positions) {
            (p.norms || []).forEach((v, i) => {
                if (v > 0) min = Math.min(min, v);
                max = Math.max(max, v);
                rowMax[i] = Math.max(rowMax[i], v);
            });
        }
        if (!Number.isFinite(min)) min = 1e-6;
        this.domain = {min, max};
        if (this.scaleMode === 'layer') return (v, row) => v / (rowMax[row] || 1);
        if (this.scaleMode === 'linear') return (v) => v / (max || 1);
        const low = Math.log(min), span = Math.log(max) - low || 1;
        return (v) => (v > 0 ? (Math.log(v) - low) / span : 0);
    }

    legend() {
        const viridis = Loom.colors.viridis;
        const {min, max} = this.domain;
        if (this.scaleMode === 'layer') {
            return Loom.legend({
                scale: viridis,
                min: 0,
                max: 1,
                toUnit: (v) => v,
                label: '\u2016h\u2016 / layer max',
                format: (v) => v.toFixed(2).replace(/\.?0+$/, '') || '0'
            });
        }
        if (this.scaleMode === 'linear') {
            return Loom.legend(
                {scale: viridis, min: 0, max, toUnit: (v) => v / (max || 1), label: '\u2016h\u2016'});
        }
        // Log scale: the bar is linear in log(norm); ticks at 1, 2, 5 x 10^k, or only at powers of ten
        // (every other one over many decades) so that they never crowd.
        const low = Math.log10(min), high = Math.log10(max);
        const decades = high - low;
        const multipliers = decades > 2.5 ? [1] : [1, 2, 5];
        const every = decades > 5 ? Math.ceil(decades / 5) : 1;
        const ticks = [];
        for (let e = Math.floor(low); e <= Math.ceil(high); ++e) {
            if (e % every !== 0) continue;
            for (const m of multipliers) {
                const v = m * Math.pow(10, e);
                if (v >= min && v <= max) ticks.push(Math.log10(v));
            }
        }
        return Loom.legend({
            scale: viridis,
            min: low,
            max: high || low + 1,
            toUnit: (v) => (v - low) / (high - low || 1),
            ticks: ticks.length >= 2 ? ticks : undefined,
            label: '\u2016h\u2016 (log)',
            format: (v) => Loom.format.number(Math.pow(10, v))
        });
    }

    describeCell(row, col) {
        const p = this.state.positions[col];
        if (!p || !p.norms || row >= p.norms.length) return null;
        return [
            `#${col} ${Loom.dom.quote(p.text)}`, `${Loom.layerLabel(row)}: ${Loom.layerName(row)}`,
            `\u2016h\u2016 = ${Loom.format.exact(p.norms[row])}`
        ];
    }
};
