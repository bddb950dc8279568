'use strict';
// Add page of a draft item: the per-field inputs depend on the collection, so picking another collection
// reloads the page with ?collection=<pk>, carrying what was typed in the address (Django admin fills initial
// values from the query string). Without JavaScript, submitting once shows the inputs and keeps everything.
{
    // Long field texts would make an address that browsers or servers refuse; those are named, not dropped silently.
    const MAX_ADDRESS_LENGTH = 6000;
    const ITEM_INPUTS = ['name', 'slug', 'field_data'];
    const FLAGS = ['is_archived', 'is_draft'];

    function carriedName(name) {
        return ITEM_INPUTS.includes(name) || FLAGS.includes(name) || name.startsWith('wf__');
    }

    function typedValues(form) {
        const values = [];
        for (const element of form.elements) {
            if (!element.name || element.disabled || !carriedName(element.name)) {
                continue;
            }
            if (element.type === 'checkbox') {
                if (element.checked) {
                    values.push([element.name, 'on']);
                }
            } else if (element.value !== '') {
                values.push([element.name, element.value]);
            }
        }
        return values;
    }

    function addedTranslations() {
        return document.querySelectorAll('.inline-related[id^="translations-"]:not(.empty-form)').length;
    }

    function switchTo(select, previous) {
        const params = new URLSearchParams(window.location.search);
        for (const key of Array.from(params.keys())) {
            if (key === 'collection' || carriedName(key)) {
                params.delete(key);
            }
        }
        if (select.value) {
            params.set('collection', select.value);
        }
        const base = new URLSearchParams(params);
        const lost = [];
        for (const [name, value] of typedValues(select.form)) {
            params.append(name, value);
        }
        let target = params;
        if (window.location.pathname.length + params.toString().length > MAX_ADDRESS_LENGTH) {
            target = base;
            for (const [name, value] of typedValues(select.form)) {
                if (ITEM_INPUTS.slice(0, 2).includes(name) || FLAGS.includes(name)) {
                    target.append(name, value);
                }
            }
            lost.push('the field values (too long to carry)');
        }
        if (addedTranslations()) {
            lost.push('the translations added below');
        }
        if (lost.length && !window.confirm(
            'Switching the collection reloads the page with its fields. Not carried over: ' + lost.join(', ') +
            '. Switch anyway?')) {
            select.value = previous;
            return;
        }
        window.location.assign(window.location.pathname + '?' + target.toString());
    }

    window.addEventListener('load', function() {
        const select = document.getElementById('id_collection');
        if (!select || select.tagName !== 'SELECT' || !/\/add\/$/.test(window.location.pathname)) {
            return;
        }
        let previous = select.value;
        select.addEventListener('change', function() {
            if (select.value !== previous) {
                switchTo(select, previous);
                previous = select.value;
            }
        });
    });
}
