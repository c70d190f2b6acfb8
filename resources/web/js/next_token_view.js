// View 4, the next-token distribution after the selected token: the model's top alternatives with their
// probabilities, and which one came next.
'use strict';
window.Loom = window.Loom || {};

Loom.NextTokenView = class {
    constructor(container) { this.container = container; }

    // state: {positions, selected}
    render(state) {
        const container = Loom.dom.clear(this.container);
        const selected = state.positions[state.selected];
        if (!selected || !selected.next || !selected.next.length) {
            container.append(Loom.dom.el(
                'div', {class: 'placeholder'},
                state.selected < 0 ? 'No tokens yet.' :
                                     'No next-token distribution was captured for this token.'));
            return;
        }
        const following = state.positions[state.selected + 1];
        const chosenId = following ? following.tokenId : -1;
        const max = selected.next[0].p;
        const rows = selected.next.map((alt, rank) => {
            const chosen = alt.id === chosenId;
            const bar = Loom.dom.el('div', {class: 'bar'});
            bar.style.width = `${Math.max(0.5, (alt.p / Math.max(max, 1e-9)) * 100)}%`;
            return Loom.dom.el(
                'div', {class: `dist-row${chosen ? ' chosen' : ''}`, dataset: {rank}},
                Loom.dom.el('span', {class: 'rank'}, String(rank + 1)),
                Loom.dom.el('span', {class: 'token'}, Loom.dom.tokenText(alt.text)),
                Loom.dom.el('div', {class: 'bar-track'}, bar),
                Loom.dom.el('span', {class: 'p'}, Loom.format.percent(alt.p)),
                Loom.dom.el('span', {class: 'badge'}, chosen ? 'came next' : ''));
        });
        const list = Loom.dom.el('div', {class: 'dist'}, rows);
        Loom.tooltip.attach(list, (event) => {
            const row = event.target.closest('.dist-row');
            if (!row) return null;
            const alt = selected.next[Number(row.dataset.rank)];
            return [
                `${Loom.dom.quote(alt.text, 40)}  (token id ${alt.id})`,
                `p = ${Loom.format.exact(alt.p)} (${Loom.format.percent(alt.p)})`
            ];
        });
        const mass = selected.next.reduce((sum, alt) => sum + alt.p, 0);
        const notes =
            [`These ${selected.next.length} tokens hold ${Loom.format.percent(mass)} of the probability; ` +
             `the rest is spread over the other tokens. Bars are relative to the most likely token.`];
        if (following && !selected.next.some((alt) => alt.id === chosenId)) {
            notes.push(
                `The token that came next, ${Loom.dom.quote(following.text)}, is not among them ` +
                '(sampling can pick less likely tokens; a prompt is not the model\'s choice).');
        }
        container.append(Loom.dom.el(
            'div', {class: 'card'},
            Loom.dom.el(
                'div', {class: 'card-head'},
                Loom.dom.el('h2', {}, `Next token after #${state.selected} ${Loom.dom.quote(selected.text)}`),
                Loom.dom.el('span', {class: 'card-sub'}, following ? '' : 'not generated yet')),
            list, notes.map((n) => Loom.dom.el('div', {class: 'note'}, n))));
    }
};
