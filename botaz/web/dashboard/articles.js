// /articles: the knowledge base. Lists articles (search, language filter), writes and edits them
// in Markdown with a preview the server renders (the same sanitizer as the help centre), and
// deletes them. Any human agent may edit; the answer bot and the help centre use published ones.

import { get, post, put, del, enc, withQuery } from "./api.js";
import { h, nextId, toast, confirmDialog, showFormError, clearFormError, relativeAgo, fullDate } from "./dom.js";
import { session } from "./state.js";
import { t, tp } from "./i18n.js";

const LOCALES = [["en", "English"], ["az", "Azərbaycanca"], ["ru", "Русский"]];

export function mountArticles(container) {
  let destroyed = false;
  let items = [];
  let editing = null; // the article being edited, or {} for a new one
  const canEdit = !session.agent?.bot;

  const headingId = nextId("kb");
  const search = h("input", { type: "search", name: "q", placeholder: t("Search articles"), "aria-label": t("Search articles") });
  const localeFilter = h("select", { class: "select", name: "locale", "aria-label": t("Filter by language") },
    h("option", { value: "" }, t("All languages")), ...LOCALES.map(([v, l]) => h("option", { value: v }, l)));
  const newButton = h("button", { type: "button", class: "btn btn-primary" }, t("New article"));
  const list = h("ul", { class: "kb-list" });
  const status = h("p", { class: "muted", role: "status" }, t("Loading articles…"));

  // ----- the editor
  const ids = { title: nextId("at"), body: nextId("ab"), locale: nextId("al"), category: nextId("ac"), slug: nextId("as"), published: nextId("ap") };
  const title = h("input", { id: ids.title, name: "title", required: true, maxlength: "200", autocomplete: "off" });
  const body = h("textarea", { id: ids.body, name: "body", rows: "14", required: true, class: "kb-body", spellcheck: "true",
    "aria-describedby": `${ids.body}-hint` });
  const locale = h("select", { id: ids.locale, name: "locale", class: "select" }, ...LOCALES.map(([v, l]) => h("option", { value: v }, l)));
  const category = h("input", { id: ids.category, name: "category", maxlength: "80", autocomplete: "off" });
  const slug = h("input", { id: ids.slug, name: "slug", maxlength: "120", autocomplete: "off", spellcheck: "false",
    "aria-describedby": `${ids.slug}-hint` });
  const published = h("input", { id: ids.published, name: "published", type: "checkbox", role: "switch", class: "switch" });
  const previewButton = h("button", { type: "button", class: "btn" }, t("Preview"));
  const previewBox = h("div", { class: "kb-preview", "aria-live": "polite", hidden: true });
  const err = h("p", { class: "form-error", id: nextId("kerr"), role: "alert", hidden: true });
  const save = h("button", { type: "submit", class: "btn btn-primary" }, t("Save article"));
  const cancel = h("button", { type: "button", class: "btn" }, t("Cancel"));
  const remove = h("button", { type: "button", class: "btn btn-danger-ghost" }, t("Delete"));
  const link = h("p", { class: "muted small kb-link" });
  const editorHeading = h("h2", { id: nextId("ke") }, t("New article"));
  const form = h("form", { class: "form-grid kb-form", novalidate: true },
    h("div", { class: "field span-all" }, h("label", { for: ids.title }, t("Title")), title),
    h("div", { class: "field" }, h("label", { for: ids.locale }, t("Language")), locale),
    h("div", { class: "field" }, h("label", { for: ids.category }, t("Category"), " ", h("span", { class: "muted" }, t("(optional)"))), category),
    h("div", { class: "field span-all" }, h("label", { for: ids.body }, t("Body")), body,
      h("span", { class: "hint", id: `${ids.body}-hint` }, t("Markdown: **bold**, _italic_, # headings, - lists, [links](https://…). HTML is shown as text."))),
    h("div", { class: "field" }, h("label", { for: ids.slug }, t("URL name"), " ", h("span", { class: "muted" }, t("(optional)"))), slug,
      h("span", { class: "hint", id: `${ids.slug}-hint` }, t("Made from the title when empty."))),
    h("div", { class: "field check-field" }, h("div", { class: "check" }, published, h("label", { for: ids.published }, t("Published")))),
    link, err,
    h("div", { class: "form-actions span-all" }, save, previewButton, cancel, remove),
    h("div", { class: "span-all" }, previewBox));
  const editor = h("section", { class: "card kb-editor", "aria-labelledby": editorHeading.id, hidden: true }, editorHeading, form);

  function open(article) {
    editing = article;
    editorHeading.textContent = article._id ? t("Edit “{title}”", { title: article.title }) : t("New article");
    title.value = article.title || "";
    body.value = article.body || "";
    locale.value = article.locale || "en";
    category.value = article.category || "";
    slug.value = article.slug || "";
    published.checked = article.published !== false;
    remove.hidden = !article._id;
    link.replaceChildren(...(article.url ? tp("Help centre page: {link}", { link: h("a", { href: article.url, target: "_blank", rel: "noopener" }, article.url) }) : []));
    previewBox.hidden = true;
    previewBox.replaceChildren();
    clearFormError(form, err);
    editor.hidden = false;
    title.focus();
  }

  function close() {
    editing = null;
    editor.hidden = true;
    newButton.focus();
  }

  previewButton.addEventListener("click", async () => {
    try {
      const res = await post("/api/articles/preview", { body: body.value || " " });
      // Sanitized by the server (nh3), the same HTML the help centre shows.
      previewBox.innerHTML = res.html;
      previewBox.hidden = false;
    } catch (error) {
      showFormError(form, err, error, ["body"]);
    }
  });
  cancel.addEventListener("click", close);
  newButton.addEventListener("click", () => open({}));
  remove.addEventListener("click", async () => {
    if (!editing?._id) return;
    const ok = await confirmDialog(t("Delete “{title}”? Its help centre page stops working.", { title: editing.title }),
      { confirmLabel: t("Delete article"), title: t("Delete article?") });
    if (!ok) return;
    try {
      await del(`/api/articles/${enc(editing._id)}`);
      toast(t("Article deleted."));
      close();
      load();
    } catch (error) {
      toast(error.message, "error");
    }
  });
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    clearFormError(form, err);
    const data = { title: title.value.trim(), body: body.value, locale: locale.value,
      category: category.value.trim() || null, published: published.checked };
    if (slug.value.trim() && slug.value.trim() !== editing?.slug) data.slug = slug.value.trim();
    save.disabled = true;
    try {
      const saved = editing?._id ? await put(`/api/articles/${enc(editing._id)}`, data) : await post("/api/articles", data);
      toast(editing?._id ? t("Article saved.") : t("Article created."));
      open(saved);
      load();
    } catch (error) {
      showFormError(form, err, error, ["title", "body", "locale", "category", "slug"]);
    } finally {
      save.disabled = false;
    }
  });

  function renderList() {
    list.replaceChildren(...items.map((a) => {
      const button = h("button", { type: "button", class: "link-button kb-title" }, a.title);
      button.addEventListener("click", () => open(a));
      return h("li", { class: "kb-item" }, button, " ",
        h("span", { class: "tag" }, a.locale), a.category ? h("span", { class: "tag" }, a.category) : null,
        a.published ? null : h("span", { class: "tag" }, t("Draft")), " ",
        h("time", { class: "muted small", datetime: a.updatedAt, title: fullDate(a.updatedAt) }, relativeAgo(a.updatedAt)),
        a.snippet ? h("p", { class: "muted small" }, a.snippet) : null);
    }));
    status.textContent = items.length ? "" : (search.value.trim() ? t("No articles match.") : t("No articles yet."));
  }

  let timer = null;
  async function load() {
    try {
      const res = await get(withQuery("/api/articles", { q: search.value.trim() || undefined, locale: localeFilter.value || undefined, limit: 100 }));
      if (destroyed) return;
      items = res.items;
      renderList();
    } catch (error) {
      if (!destroyed) status.textContent = t("Could not load articles: {error}", { error: error.message });
    }
  }
  search.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(load, 200); });
  localeFilter.addEventListener("change", load);

  container.append(h("div", { class: "page" },
    h("div", { class: "page-head" },
      h("h1", { id: headingId }, t("Articles")),
      h("p", { class: "muted" }, ...tp("Your help centre: published articles appear at {link}, in the widget's help search, and in the answer bot's replies.", {
        link: h("a", { href: `/help/${enc(session.account?.siteKey || "")}`, target: "_blank", rel: "noopener" }, t("your help centre")) }))),

    h("section", { class: "card", "aria-labelledby": headingId },
      h("div", { class: "kb-toolbar" }, search, localeFilter, canEdit ? newButton : null),
      list, status),
    editor));

  load();
  return { destroy() { destroyed = true; clearTimeout(timer); } };
}
