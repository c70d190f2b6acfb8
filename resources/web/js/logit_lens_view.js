// View 3, the logit lens: what each layer's hidden state would predict if the model stopped there (read
// through the final norm and the output matrix), top 5 per layer. The token that actually came next, or
// the model's own prediction for the latest token, is outlined wherever it appears.
'use strict';
window.Loom = window.Loom || {};

Loom.LogitLensView = class {
    constructor(container) {
        this.container = container;
        this.status = Loom.dom.el('div', {class: 'placeholder'});
        this.card = Loom.dom.el('div', {class: 'card'});
        container.append(this.status, this.card);
    }

    // state: {positions, selected, logitLens: {status, view}}
    render(state) {
        const lens = state.logitLens;
        const ready = lens.status === 'ready' && state.selected >= 0;
        this.status.hidden = ready;
        this.card.hidden = !ready;
        if (!ready) {
            this.status.textContent = state.selected < 0 ? 'No tokens yet.' : 'computing\u2026';
            this.status.classList.toggle('busy', state.selected >= 0);
            return;
        }
        const view = lens.view;
        const selected = state.positions[view.position];
        const following = state.positions[view.position + 1];
        const finalTop = view.layers.length ? view.layers[view.layers.length - 1][0] : null;
        // The token to outline: the one that came next, else the model's final prediction.
        const target = following ? following.tokenId : finalTop ? finalTop.id : -1;
        const targetText = following ? following.text : finalTop ? finalTop.text : '';

        const table = Loom.dom.el('table', {class: 'lens'});
        const top = Math.max(...view.layers.map((row) => row.length), 0);
        table.append(Loom.dom.el(
            'thead', {},
            Loom.dom.el(
                'tr', {}, Loom.dom.el('th', {}, 'layer'),
                Array.from({length: top}, (_, i) => Loom.dom.el('th', {}, i === 0 ? 'top 1' : `${i + 1}`)))));
        const body = Loom.dom.el('tbody');
        view.layers.forEach((row, layer) => {
            const isFinal = layer === view.layers.length - 1;
            const tr = Loom.dom.el(
                'tr', {class: isFinal ? 'final' : ''},
                Loom.dom.el(
                    'th', {title: Loom.layerName(layer)},
                    isFinal ? `${Loom.layerLabel(layer)} \u2605` : Loom.layerLabel(layer)));
            for (let i = 0; i < top; ++i) {
                const alt = row[i];
                if (!alt) {
                    tr.append(Loom.dom.el('td'));
                    continue;
                }
                const cell = Loom.dom.el(
                    'td', {class: alt.id === target ? 'target' : ''},
                    Loom.dom.el(
                        'div', {class: 'lens-cell'}, Loom.dom.tokenText(alt.text),
                        Loom.dom.el('span', {class: 'p'}, Loom.format.percent(alt.p))));
                cell.style.background =
                    Loom.colors.css(Loom.theme.accentRgb, Math.min(1, Math.sqrt(alt.p)) * 0.55);
                cell.dataset.layer = layer;
                cell.dataset.rank = i;
                tr.append(cell);
            }
            body.append(tr);
        });
        table.append(body);
        Loom.tooltip.attach(table, (event) => {
            const cell = event.target.closest('td[data-layer]');
            if (!cell) return null;
            const layer = Number(cell.dataset.layer), alt = view.layers[layer][Number(cell.dataset.rank)];
            return [
                `${Loom.dom.quote(alt.text, 40)}  (token id ${alt.id})`,
                `p = ${Loom.format.exact(alt.p)} (${Loom.format.percent(alt.p)})`,
                `${Loom.layerLabel(layer)}: ${Loom.layerName(layer)}`
            ];
        });

        const why = following ? 'the token that came next' : 'the model\'s prediction (last row)';
        Loom.dom.clear(this.card).append(
            Loom.dom.el(
                'div', {class: 'card-head'},
                Loom.dom.el(
                    'h2', {},
                    `Logit lens at #${view.position} ${Loom.dom.quote(selected ? selected.text : '')}`),
                Loom.dom.el('span', {class: 'card-sub'}, 'final norm + output matrix applied to each layer')),
            table,
            Loom.dom.el(
                'div', {class: 'note'},
                'Outlined: ', Loom.dom.el('span', {class: 'token small'}, Loom.dom.tokenText(targetText)),
                ` ${why}. \u2605 the last layer: the model's own distribution.`));
    }
};
