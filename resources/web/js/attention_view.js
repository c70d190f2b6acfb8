// View 2, attention: for a chosen layer, one head's attention matrix (queries x keys over the conversation
// up to the selected token) or a grid of all heads; and where the selected token itself looks, exactly.
// Long conversations arrive averaged in blocks of `stride` tokens (at most 256 x 256 cells).
'use strict';
window.Loom = window.Loom || {};

Loom.AttentionView = class {
    // app: {pick(position), chooseAttention(layer, head)}
    constructor(container, app) {
        this.container = container;
        this.app = app;
        this.scaleMode = 'sqrt';
        this.layerSelect = Loom.dom.el('select', {title: 'Layer', onchange: () => this.choose()});
        this.headSelect = Loom.dom.el('select', {title: 'Head', onchange: () => this.choose()});
        const scaleSelect = Loom.dom.el(
            'select', {
                title: 'How attention maps to colours',
                onchange: (e) => {
                    this.scaleMode = e.target.value;
                    this.render(this.state);
                }
            },
            Loom.dom.el('option', {value: 'sqrt'}, '\u221a scale'),
            Loom.dom.el('option', {value: 'linear'}, 'linear scale'));
        this.controls = Loom.dom.el(
            'div', {class: 'controls'}, Loom.dom.el('label', {class: 'control'}, 'Layer', this.layerSelect),
            Loom.dom.el('label', {class: 'control'}, 'Head', this.headSelect),
            Loom.dom.el('label', {class: 'control'}, scaleSelect));
        this.status = Loom.dom.el('div', {class: 'placeholder'});
        this.matrixCard = Loom.dom.el('div', {class: 'card'});
        this.rowCard = Loom.dom.el('div', {class: 'card'});
        container.append(this.controls, this.status, this.matrixCard, this.rowCard);
    }

    choose() { this.app.chooseAttention(Number(this.layerSelect.value), Number(this.headSelect.value)); }

    // state: {model, positions, selected, selection: {layer, head}, attention: {status, view, matrices}}
    render(state) {
        this.state = state;
        this.fillSelectors(state);
        const attention = state.attention;
        const ready = attention.status === 'ready' && state.selected >= 0;
        this.matrixCard.hidden = this.rowCard.hidden = !ready;
        this.status.hidden = ready;
        if (!ready) {
            this.status.textContent = this.waitingText(state);
            this.status.classList.toggle(
                'busy', attention.status === 'computing' || attention.status === 'idle');
            return;
        }
        const view = attention.view;
        const head = state.selection.head;
        const cells = view.size * view.size;
        if (head === -1) {
            this.domain = this.valueRange(attention.matrices);  // one colour scale for the whole grid
            this.renderGrid(state, view, attention.matrices);
        } else {
            // The answer may hold every head of the layer; show the chosen one.
            const offset = (view.head === -1 ? head : 0) * cells;
            this.domain = this.valueRange(attention.matrices.subarray(offset, offset + cells));
            this.renderMatrix(state, view, attention.matrices, offset, head);
        }
        this.renderSelectedRow(state, view, head);
    }

    // What to say while there is no attention to show.
    waitingText(state) {
        if (state.selected < 0) return 'No tokens yet.';
        if (state.attention.status !== 'unavailable') return 'computing\u2026';
        return 'The attention of this token is no longer kept: the capture memory budget drops the oldest ' +
            'tokens\' attention first. Hidden states, the logit lens and the next-token view still work.';
    }

    fillSelectors(state) {
        const {layers, heads} = state.model;
        if (this.layerSelect.options.length !== layers) {
            Loom.dom.clear(this.layerSelect);
            for (let l = 0; l < layers; ++l)
                this.layerSelect.append(Loom.dom.el('option', {value: l}, `L${l}`));
        }
        if (this.headSelect.options.length !== heads + 1) {
            Loom.dom.clear(this.headSelect).append(Loom.dom.el('option', {value: -1}, 'all heads'));
            for (let h = 0; h < heads; ++h)
                this.headSelect.append(Loom.dom.el('option', {value: h}, `head ${h}`));
        }
        this.layerSelect.value = String(state.selection.layer);
        this.headSelect.value = String(state.selection.head);
    }

    valueRange(matrices) {
        let max = 0;
        for (const v of matrices)
            if (v > max) max = v;
        return {max: max || 1};
    }

    // Attention -> [0, 1] on the colour scale.
    unit(value) {
        const t = Math.min(Math.max(value / this.domain.max, 0), 1);
        return this.scaleMode === 'sqrt' ? Math.sqrt(t) : t;
    }

    // One head's matrix as an image of size x size pixels: nothing above the diagonal (masked keys), grey
    // where the attention was not kept (NaN). A tight loop: the grid of an 80-layer model's 64 heads paints
    // millions of cells.
    paint(view, matrices, offset) {
        const size = view.size;
        const image = document.createElement('canvas');
        image.width = image.height = size;
        const context = image.getContext('2d');
        const pixels = context.createImageData(size, size);
        const data = pixels.data;
        const scale = Loom.theme.attention, table = scale.table, last = scale.size - 1;
        const missing = Loom.theme.missingRgb;
        for (let row = 0; row < size; ++row) {
            for (let col = 0; col <= row; ++col) {
                const value = matrices[offset + row * size + col];
                const i = (row * size + col) * 4;
                data[i + 3] = 255;
                if (Number.isNaN(value)) {
                    data[i] = missing[0];
                    data[i + 1] = missing[1];
                    data[i + 2] = missing[2];
                    continue;
                }
                const k = Math.round(this.unit(value) * last) * 3;
                data[i] = table[k];
                data[i + 1] = table[k + 1];
                data[i + 2] = table[k + 2];
            }
        }
        context.putImageData(pixels, 0, 0);
        return image;
    }

    legend() {
        return Loom.legend({
            scale: Loom.theme.attention,
            min: 0,
            max: this.domain.max,
            toUnit: (v) => this.unit(v),
            label: this.state.attention.view.stride > 1 ? 'mean attention' : 'attention',
            format: (v) => Loom.format.percent(v)
        });
    }

    // Tokens a cell covers: [first, last].
    span(view, cell) {
        const first = cell * view.stride;
        return [first, Math.min(first + view.stride, view.position + 1) - 1];
    }

    describeCell(view, matrices, offset, row, col, head) {
        if (col > row) return null;
        const value = matrices[offset + row * view.size + col];
        const positions = this.state.positions;
        const label = (p) => `#${p} ${Loom.dom.quote(positions[p] ? positions[p].text : '')}`;
        const lines = [];
        if (view.stride === 1) {
            lines.push(`${label(row)} \u2192 ${label(col)}`);
            lines.push(
                Number.isNaN(value) ?
                    'not kept (memory budget)' :
                    `attention ${Loom.format.percent(value)} (${Loom.format.exact(value)})`);
        } else {
            const [q0, q1] = this.span(view, row), [k0, k1] = this.span(view, col);
            lines.push(`queries #${q0}\u2013${q1} \u2192 keys #${k0}\u2013${k1}`);
            lines.push(
                Number.isNaN(value) ? 'not kept (memory budget)' :
                                      `mean over the block ${Loom.format.exact(value)}`);
        }
        lines.push(`layer ${view.layer}, head ${head}`);
        return lines;
    }

    // --- one head ----------------------------------------------------------------------------------------

    renderMatrix(state, view, matrices, offset, head) {
        const size = view.size;
        const labelTokens = view.stride === 1;
        const margin = {left: labelTokens ? 64 : 44, right: 10, top: 6, bottom: 34};
        const available = Math.max(160, this.container.clientWidth - 24 - margin.left - margin.right);
        const cell = Math.min(28, Math.min(available, 560) / size);
        const rowTicks = [], colTicks = [];
        const rowStep = Loom.canvas.labelStep(cell, 13), colStep = Loom.canvas.labelStep(cell, 34);
        for (let i = 0; i < size; i += rowStep) {
            const text = labelTokens && state.positions[i] ? state.positions[i].text : null;
            rowTicks.push({index: i, label: text !== null ? this.shortLabel(text) : String(i * view.stride)});
        }
        for (let i = 0; i < size; i += colStep)
            colTicks.push({index: i, label: String(i * view.stride)});

        const heatmap = new Loom.Heatmap({
            onHover: (row, col) => this.describeCell(view, matrices, offset, row, col, head),
            onClick: (row) => this.app.pick(this.span(view, row)[0]),
        });
        this.matrixHeatmap = heatmap;
        heatmap.render({
            rows: size,
            cols: size,
            cellWidth: cell,
            cellHeight: cell,
            margin,
            rowTicks,
            colTicks,
            colTitle: 'key position',
            image: this.paint(view, matrices, offset),
            outlineRows: [Math.floor(view.position / view.stride)],
        });
        const blocks =
            view.stride > 1 ? `, averaged in blocks of ${view.stride}\u00d7${view.stride} tokens` : '';
        Loom.dom.clear(this.matrixCard)
            .append(
                Loom.dom.el(
                    'div', {class: 'card-head'}, Loom.dom.el('h2', {}, `Layer ${view.layer}, head ${head}`),
                    Loom.dom.el(
                        'span', {class: 'card-sub'},
                        `queries \u00d7 keys, tokens 0\u2013${view.position}${blocks}`)),
                Loom.dom.el('div', {class: 'scroll-x'}, heatmap.element), this.legend(),
                Loom.dom.el(
                    'div', {class: 'note'},
                    'Rows are queries (the outlined row is the selected token), columns ' +
                        'the tokens they attend to. Click a row to select its token.'));
    }

    shortLabel(text) { return text.length > 8 ? text.slice(0, 7) + '\u2026' : text; }

    // --- all heads ---------------------------------------------------------------------------------------

    renderGrid(state, view, matrices) {
        const size = view.size, heads = view.heads;
        const available = Math.max(200, this.container.clientWidth - 24);
        // Large thumbnails for a few heads; for many, a square-ish grid of small ones (down to 56 pixels).
        const columns = Math.max(
            2,
            Math.min(
                heads,
                Math.max(
                    Math.floor(available / 118),
                    Math.min(Math.ceil(Math.sqrt(heads)), Math.floor(available / 66)))));
        const side = Math.min(180, Math.floor((available - (columns - 1) * 10) / columns) - 2);
        const grid = Loom.dom.el(
            'div', {class: 'head-grid', style: `grid-template-columns: repeat(${columns}, ${side + 2}px)`});
        for (let h = 0; h < heads; ++h) {
            const offset = h * size * size;
            const heatmap = new Loom.Heatmap({
                className: 'thumb',
                onHover: (row, col) => this.describeCell(view, matrices, offset, row, col, h),
                onClick: () => this.app.chooseAttention(view.layer, h),
            });
            heatmap.render({
                rows: size,
                cols: size,
                cellWidth: side / size,
                cellHeight: side / size,
                margin: {left: 1, top: 1, right: 1, bottom: 1},
                image: this.paint(view, matrices, offset),
            });
            grid.append(Loom.dom.el(
                'figure', {class: 'head', title: `head ${h}: click to open`}, heatmap.element,
                Loom.dom.el('figcaption', {}, `head ${h}`)));
        }
        const blocks = view.stride > 1 ? `, blocks of ${view.stride}\u00d7${view.stride} tokens` : '';
        Loom.dom.clear(this.matrixCard)
            .append(
                Loom.dom.el(
                    'div', {class: 'card-head'},
                    Loom.dom.el('h2', {}, `Layer ${view.layer}, all ${heads} heads`),
                    Loom.dom.el('span', {class: 'card-sub'}, `tokens 0\u2013${view.position}${blocks}`)),
                grid, this.legend(), Loom.dom.el('div', {class: 'note'}, 'Click a head to open it.'));
    }

    // --- where the selected token looks ------------------------------------------------------------------

    renderSelectedRow(state, view, head) {
        const rows = view.selectedRows;
        if (!rows || !rows.length) {
            this.rowCard.hidden = true;
            return;
        }
        // One head's row, or the mean over the heads of the layer.
        const weights = head >= 0 && rows[head] ?
            rows[head] :
            rows[0].map((_, k) => rows.reduce((sum, row) => sum + row[k], 0) / rows.length);
        const max = Math.max(...weights, 1e-9);
        const which = head >= 0 ? `head ${head}` : `mean of ${rows.length} heads`;
        const selected = state.positions[view.position];

        const strip = Loom.dom.el('div', {class: 'token-strip weights'});
        weights.forEach((w, k) => {
            const p = state.positions[k];
            const chip = Loom.dom.el(
                'span', {class: 'token', dataset: {position: k}}, Loom.dom.tokenText(p ? p.text : ''));
            chip.style.background =
                Loom.colors.css(Loom.theme.accentRgb, Math.min(1, Math.sqrt(w / max)) * 0.85);
            if (Math.sqrt(w / max) > 0.6) chip.style.color = Loom.theme.accentText;
            strip.append(chip);
        });
        strip.addEventListener('click', (event) => {
            const chip = event.target.closest('.token');
            if (chip) this.app.pick(Number(chip.dataset.position));
        });
        Loom.tooltip.attach(strip, (event) => {
            const chip = event.target.closest('.token');
            if (!chip) return null;
            const k = Number(chip.dataset.position);
            return [
                `#${k} ${Loom.dom.quote(state.positions[k] ? state.positions[k].text : '')}`,
                `attention ${Loom.format.percent(weights[k])} (${Loom.format.exact(weights[k])})`
            ];
        });

        const top = weights.map((w, k) => ({w, k})).sort((a, b) => b.w - a.w).slice(0, 5);
        const list = Loom.dom.el(
            'ol', {class: 'top-list'},
            top.map(
                ({w, k}) => Loom.dom.el(
                    'li', {},
                    Loom.dom.el(
                        'span', {class: 'token small'},
                        Loom.dom.tokenText(state.positions[k] ? state.positions[k].text : '')),
                    Loom.dom.el('span', {class: 'muted'}, ` #${k} `), Loom.format.percent(w))));

        Loom.dom.clear(this.rowCard)
            .append(
                Loom.dom.el(
                    'div', {class: 'card-head'},
                    Loom.dom.el(
                        'h2', {},
                        `Where #${view.position} ${Loom.dom.quote(selected ? selected.text : '')} looks`),
                    Loom.dom.el('span', {class: 'card-sub'}, `layer ${view.layer}, ${which}, exact`)),
                strip, Loom.dom.el('div', {class: 'note'}, 'Most attended:'), list);
    }
};
