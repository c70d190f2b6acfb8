// A grid of coloured cells on a canvas: the layers x tokens norms, the attention matrices and their grid.
// Cells are painted one pixel each into an off-screen image and scaled up without smoothing, so that even
// 81 layers x 4096 tokens draw at once. Axes, outlined rows and columns, hover and click come on top.
'use strict';
window.Loom = window.Loom || {};

Loom.Heatmap = class {
    // options: {onHover(row, col, event) -> tooltip lines | null, onClick(row, col, event), className}
    constructor(options = {}) {
        this.options = options;
        this.canvas = Loom.dom.el('canvas', {class: options.className || 'heatmap'});
        this.spec = null;
        Loom.tooltip.attach(this.canvas, (event) => {
            const cell = this.cellAt(event);
            return cell && this.options.onHover ? this.options.onHover(cell.row, cell.col, event) : null;
        });
        this.canvas.addEventListener('click', (event) => {
            const cell = this.cellAt(event);
            if (cell && this.options.onClick) this.options.onClick(cell.row, cell.col, event);
        });
    }

    get element() { return this.canvas; }

    // spec: {rows, cols, cellWidth, cellHeight, color(row, col) -> [r, g, b] | null (nothing drawn),
    //        or image: a canvas of cols x rows pixels already painted (attention_view.js paints its own),
    //        margin: {left, top, right, bottom}, rowTicks / colTicks: [{index, label}],
    //        rowTitle, colTitle, outlineRows: [index], outlineCols: [index]}
    render(spec) {
        this.spec = spec;
        const margin = Object.assign({left: 0, top: 0, right: 0, bottom: 0}, spec.margin);
        this.margin = margin;
        const gridWidth = spec.cols * spec.cellWidth, gridHeight = spec.rows * spec.cellHeight;
        const context = Loom.canvas.setup(
            this.canvas, margin.left + gridWidth + margin.right, margin.top + gridHeight + margin.bottom);
        context.fillStyle = Loom.theme.plot;
        context.fillRect(margin.left, margin.top, gridWidth, gridHeight);

        context.imageSmoothingEnabled = false;
        context.drawImage(
            spec.image || this.paintCells(spec), margin.left, margin.top, gridWidth, gridHeight);

        this.drawOutlines(context, spec, margin);
        this.drawAxes(context, spec, margin, gridWidth, gridHeight);
        return this.canvas;
    }

    paintCells(spec) {
        const image = document.createElement('canvas');
        image.width = spec.cols;
        image.height = spec.rows;
        const context = image.getContext('2d');
        const pixels = context.createImageData(spec.cols, spec.rows);
        const data = pixels.data;
        for (let row = 0; row < spec.rows; ++row) {
            for (let col = 0; col < spec.cols; ++col) {
                const rgb = spec.color(row, col);
                if (!rgb) continue;
                const i = (row * spec.cols + col) * 4;
                data[i] = rgb[0];
                data[i + 1] = rgb[1];
                data[i + 2] = rgb[2];
                data[i + 3] = 255;
            }
        }
        context.putImageData(pixels, 0, 0);
        return image;
    }

    drawOutlines(context, spec, margin) {
        context.strokeStyle = Loom.theme.text;  // the text colour stands out on any colour scale
        context.lineWidth = 1.5;
        const gridWidth = spec.cols * spec.cellWidth, gridHeight = spec.rows * spec.cellHeight;
        for (const row of spec.outlineRows || []) {
            context.strokeRect(
                margin.left - 1, margin.top + row * spec.cellHeight - 1, gridWidth + 2,
                Math.max(spec.cellHeight, 1) + 2);
        }
        for (const col of spec.outlineCols || []) {
            context.strokeRect(
                margin.left + col * spec.cellWidth - 1, margin.top - 1, Math.max(spec.cellWidth, 1) + 2,
                gridHeight + 2);
        }
        context.lineWidth = 1;
    }

    drawAxes(context, spec, margin, gridWidth, gridHeight) {
        context.fillStyle = Loom.theme.muted;
        context.strokeStyle = Loom.theme.border;
        context.textAlign = 'right';
        for (const tick of spec.rowTicks || []) {
            const y = margin.top + (tick.index + 0.5) * spec.cellHeight;
            context.fillText(tick.label, margin.left - 5, y);
        }
        context.textAlign = 'center';
        for (const tick of spec.colTicks || []) {
            const x = margin.left + (tick.index + 0.5) * spec.cellWidth;
            context.fillRect(Math.round(x), margin.top + gridHeight + 1, 1, 3);
            context.fillText(tick.label, x, margin.top + gridHeight + 11);
        }
        if (spec.colTitle) {
            context.fillText(spec.colTitle, margin.left + gridWidth / 2, margin.top + gridHeight + 25);
        }
        if (spec.rowTitle) {
            context.save();
            context.translate(9, margin.top + gridHeight / 2);
            context.rotate(-Math.PI / 2);
            context.fillText(spec.rowTitle, 0, 0);
            context.restore();
        }
        context.strokeRect(margin.left - 0.5, margin.top - 0.5, gridWidth + 1, gridHeight + 1);
    }

    // The centre of a cell in client coordinates (what a pointer event there would carry).
    cellCenter(row, col) {
        const box = this.canvas.getBoundingClientRect();
        return {
            x: box.left + this.margin.left + (col + 0.5) * this.spec.cellWidth,
            y: box.top + this.margin.top + (row + 0.5) * this.spec.cellHeight,
        };
    }

    // The cell under the pointer, or null.
    cellAt(event) {
        if (!this.spec) return null;
        const box = this.canvas.getBoundingClientRect();
        const x = event.clientX - box.left - this.margin.left, y = event.clientY - box.top - this.margin.top;
        const col = Math.floor(x / this.spec.cellWidth), row = Math.floor(y / this.spec.cellHeight);
        if (col < 0 || row < 0 || col >= this.spec.cols || row >= this.spec.rows) return null;
        return {row, col};
    }
};
