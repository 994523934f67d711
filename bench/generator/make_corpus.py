#!/usr/bin/env python3
"""Writes the same synthetic site for Touchline and for Hugo, each with templates that do the
same work, so the two builds can be timed against each other.

Usage: make_corpus.py [--shape flat|sections|code] N OUT_DIR   (creates OUT_DIR/touchline, OUT_DIR/hugo)

flat:     N pages under /p/, ~500 words each, a table, a code block, three internal links.
sections: N pages spread over 20 sections (/s00 ... /s19). Every page has that body plus three
          tags, relative links to pages of its own section and an image; every section page
          lists its pages; /tags lists the tags and /tags/<tag> the pages carrying each tag.
          Hugo builds its tag pages from the front matter (its taxonomies); Touchline has no
          taxonomies yet, so this script writes the tag index as a data file, which a
          [[generate]] entry turns into one page per tag: the same pages, the same listings.
code:     flat, plus three longer fenced blocks per page (Rust, Python, JavaScript, ~12 lines
          each), for the highlighting comparison. Highlighting is on in touchline/ (the default)
          and hugo/ (`markup.highlight.noClasses = false`: classes, as Touchline writes), off in
          touchline-off/ (`[markdown] highlight_code = false`) and hugo-off/
          (`markup.highlight.codeFences = false`).
"""
import argparse
import os
import random
import shutil
import struct
import zlib

WORDS = ("match goal keeper striker league table season club stadium manager press pass "
         "tackle corner header volley winger defender midfield final derby fixture points "
         "relegation promotion cup penalty referee offside crowd anthem tactics formation").split()
SECTIONS = 20
TAGS = ["tag-" + w for w in WORDS[:40]] + [f"tag-extra-{i}" for i in range(40 - len(WORDS[:40]))]


def paragraphs(rng):
    paras = []
    for _ in range(5):
        sentences = []
        for _ in range(6):
            words = [rng.choice(WORDS) for _ in range(15)]
            sentences.append(" ".join(words).capitalize() + ".")
        paras.append(" ".join(sentences))
    return paras


def table(rng):
    return "| Club | P | Pts |\n|---|---:|---:|\n" + "\n".join(
        f"| {rng.choice(WORDS).title()} | 38 | {rng.randrange(100)} |" for _ in range(5))


def code(i):
    return "```rust\nfn main() {\n    println!(\"page %d\");\n}\n```" % i


RUST = '''```rust,hl_lines=3
/// Points for a result.
pub fn points(goals_for: u32, goals_against: u32) -> u32 {
    match goals_for.cmp(&goals_against) {
        std::cmp::Ordering::Greater => 3,
        std::cmp::Ordering::Equal => 1,
        std::cmp::Ordering::Less => 0,
    }
}

fn main() {
    println!("{} points in round %d", points(2, 1));
}
```'''
PYTHON = '''```python
def table(results):
    """Sorts clubs by points, then goal difference."""
    rows = {}
    for home, away, hg, ag in results:  # round %d
        for club, gf, ga in ((home, hg, ag), (away, ag, hg)):
            row = rows.setdefault(club, [0, 0])
            row[0] += 3 if gf > ga else 1 if gf == ga else 0
            row[1] += gf - ga
    return sorted(rows.items(), key=lambda kv: (-kv[1][0], -kv[1][1]))
```'''
JS = '''```js,linenos
const rows = document.querySelectorAll("table tbody tr");
for (const [i, row] of rows.entries()) {
  const points = Number(row.cells[2].textContent);
  if (points > %d) {
    row.classList.add("top");
  } else {
    row.classList.remove("top");
  }
  row.dataset.rank = String(i + 1);
}
```'''


def more_code(i):
    return "\n\n".join(block.replace("%d", str(i)) for block in (RUST, PYTHON, JS))


def flat_page(i, n, rng, extra_code=False):
    paras = paragraphs(rng)
    links = " ".join(f"[page {j}](/p/{j})" for j in (rng.randrange(n) for _ in range(3)))
    return (f"+++\ntitle = \"Page {i}\"\ndescription = \"Synthetic page {i}\"\nweight = {i}\n"
            f"date = 2024-05-19\n+++\n\n# Page {i}\n\n{paras[0]}\n\n## Results\n\n{table(rng)}\n\n"
            f"{paras[1]}\n\n{code(i)}\n\n{paras[2]}\n\nSee also {links}.\n\n{paras[3]}\n\n"
            + (f"{more_code(i)}\n\n" if extra_code else "") + f"{paras[4]}\n")


def png(seed):
    """A small deterministic 48x48 RGB PNG (a few KiB), different for every seed."""
    rng = random.Random(seed)
    rows = b"".join(b"\0" + bytes(rng.randrange(256) for _ in range(48 * 3)) for _ in range(48))

    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 48, 48, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows, 9)) + chunk(b"IEND", b""))


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    mode = "wb" if isinstance(text, bytes) else "w"
    with open(path, mode, **({} if mode == "wb" else {"encoding": "utf-8"})) as f:
        f.write(text)


BASE = ('<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>{{ page.title }}</title>'
        '<link rel="stylesheet" href="{{ asset(\'app.css\') }}"></head>\n<body><main>'
        '{% block main %}{% endblock %}</main></body></html>\n')
HBASE = ('<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>{{ .Title }}</title>'
         '<link rel="stylesheet" href="/app.css"></head>\n<body><main>'
         '{{ block "main" . }}{{ end }}</main></body></html>\n')


def common(t, h, hugo_extra):
    write(f"{t}/site.toml", 'title = "Bench"\nbase_url = "https://bench.example"\n')
    write(f"{t}/themes/default/static/app.css", "body { font-family: sans-serif }\n")
    write(f"{t}/themes/default/templates/base.html", BASE)
    write(f"{t}/themes/default/templates/index.html",
          '{% extends "base.html" %}{% block main %}{{ page.content }}{% endblock %}\n')
    write(f"{h}/hugo.toml", 'baseURL = "https://bench.example/"\ntitle = "Bench"\n' + hugo_extra
          + '[markup.goldmark.renderer]\nunsafe = true\n')
    write(f"{h}/static/app.css", "body { font-family: sans-serif }\n")
    write(f"{h}/layouts/_default/baseof.html", HBASE)
    write(f"{h}/layouts/index.html", '{{ define "main" }}{{ .Content }}{{ end }}\n')


def flat(n, t, h, extra_code=False):
    rng = random.Random(42)
    pages = [flat_page(i, n, rng, extra_code) for i in range(n)]
    common(t, h, 'disableKinds = ["taxonomy", "term", "RSS"]\n')
    for root in (t, h):
        write(f"{root}/content/_index.md", '+++\ntitle = "Bench"\n+++\nA synthetic site.\n')
    write(f"{t}/themes/default/templates/page.html",
          '{% extends "base.html" %}{% block main %}<h1>{{ page.title }}</h1>{{ page.content }}{% endblock %}\n')
    write(f"{h}/layouts/_default/single.html",
          '{{ define "main" }}<h1>{{ .Title }}</h1>{{ .Content }}{{ end }}\n')
    write(f"{h}/layouts/_default/list.html", '{{ define "main" }}{{ .Content }}{{ end }}\n')
    for i, text in enumerate(pages):
        write(f"{t}/content/p/{i}.md", text)
        write(f"{h}/content/p/{i}.md", text)


def code_shape(n, t, h):
    """flat with more code, and the highlighting-off twins of both sites."""
    flat(n, t, h, extra_code=True)
    with open(f"{h}/hugo.toml", encoding="utf-8") as f:
        hugo = f.read()
    write(f"{h}/hugo.toml", hugo + "[markup.highlight]\ncodeFences = true\nnoClasses = false\n")
    shutil.copytree(h, f"{h}-off")
    write(f"{h}-off/hugo.toml", hugo + "[markup.highlight]\ncodeFences = false\n")
    shutil.copytree(t, f"{t}-off")
    with open(f"{t}-off/site.toml", "a", encoding="utf-8") as f:
        f.write("\n[markdown]\nhighlight_code = false\n")


def toml_str(s):
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def sections(n, t, h):
    rng = random.Random(42)
    per = [n // SECTIONS + (1 if s < n % SECTIONS else 0) for s in range(SECTIONS)]
    common(t, h, 'disableKinds = ["RSS"]\n[taxonomies]\ntag = "tags"\n')
    home = "+++\ntitle = \"Bench\"\n+++\nA synthetic site in sections:\n\n" + "".join(
        f"- [Section {s:02}](/s{s:02}/)\n" for s in range(SECTIONS)) + "\nAnd its [tags](/tags/).\n"
    for root in (t, h):
        write(f"{root}/content/_index.md", home)
    tagged = {tag: [] for tag in TAGS}
    weight = 0
    for s in range(SECTIONS):
        sec = f"s{s:02}"
        intro = f"Section {s:02} of the synthetic site, with {per[s]} pages."
        write(f"{t}/content/{sec}/_index.md",
              f'+++\ntitle = "Section {s:02}"\ndescription = "Section {s:02}"\nweight = {s}\n'
              f'template = "section.html"\n+++\n{intro}\n')
        write(f"{h}/content/{sec}/_index.md",
              f'+++\ntitle = "Section {s:02}"\ndescription = "Section {s:02}"\nweight = {s}\n+++\n{intro}\n')
        for name in (t, h):
            folder = "content/img" if name == t else "static/img"
            write(f"{name}/{folder}/{sec}.png", png(s))
        for i in range(per[s]):
            weight += 1
            paras = paragraphs(rng)
            tags = rng.sample(TAGS, 3)
            others = [rng.randrange(per[s]) for _ in range(3)]
            # Relative to the page's own folder (/s03/17/ for Hugo, s03/17/index.html here).
            links = " ".join(f"[page {j}](../{j}/)" for j in others)
            far = rng.randrange(SECTIONS)
            elsewhere = f"[a page of section {far:02}](../../s{far:02}/{rng.randrange(per[far])}/)"
            title = f"Page {sec}-{i}"
            body = (f"# {title}\n\n{paras[0]}\n\n![Chart of section {s:02}](../../img/{sec}.png)\n\n"
                    f"## Results\n\n{table(rng)}\n\n{paras[1]}\n\n{code(i)}\n\n{paras[2]}\n\n"
                    f"See also {links}, and {elsewhere}.\n\n{paras[3]}\n\n{paras[4]}\n")
            head = (f'title = "{title}"\ndescription = "Synthetic page {i} of section {s:02}"\n'
                    f"weight = {weight}\ndate = 2024-05-19\n")
            tag_list = ", ".join(toml_str(x) for x in tags)
            write(f"{t}/content/{sec}/{i}.md", f"+++\n{head}[extra]\ntags = [{tag_list}]\n+++\n\n{body}")
            write(f"{h}/content/{sec}/{i}.md", f"+++\n{head}tags = [{tag_list}]\n+++\n\n{body}")
            for tag in tags:
                tagged[tag].append((weight, title, f"/{sec}/{i}", f"Synthetic page {i} of section {s:02}"))

    # Touchline: sections list their pages from `pages`; tags come from a data file.
    write(f"{t}/themes/default/templates/page.html",
          '{% extends "base.html" %}{% block main %}<h1>{{ page.title }}</h1><p>'
          '{% for tag in page.extra.tags %}<a href="/tags/{{ tag }}/">{{ tag }}</a> {% endfor %}'
          '</p>{{ page.content }}{% endblock %}\n')
    write(f"{t}/themes/default/templates/section.html",
          '{% extends "base.html" %}{% block main %}<h1>{{ page.title }}</h1>{{ page.content }}<ul>'
          '{% for p in pages if p.path is startingwith(page.path ~ "/") %}'
          '<li><a href="{{ p.path }}">{{ p.title }}</a> {{ p.description }}</li>{% endfor %}'
          '</ul>{% endblock %}\n')
    write(f"{t}/themes/default/templates/tags.html",
          '{% extends "base.html" %}{% block main %}<h1>{{ page.title }}</h1><ul>'
          '{% for tag in data.tags.tags %}<li><a href="/tags/{{ tag.slug }}/">{{ tag.slug }}</a>'
          '</li>{% endfor %}</ul>{% endblock %}\n')
    write(f"{t}/themes/default/templates/tag.html",
          '{% extends "base.html" %}{% block main %}<h1>{{ page.title }}</h1><ul>'
          '{% for p in item.pages %}<li><a href="{{ p.path }}">{{ p.title }}</a> {{ p.description }}'
          '</li>{% endfor %}</ul>{% endblock %}\n')
    write(f"{t}/content/tags/_index.md", '+++\ntitle = "Tags"\ntemplate = "tags.html"\n+++\n')
    with open(f"{t}/site.toml", "a", encoding="utf-8") as f:
        f.write('\n[[generate]]\ndata = "tags"\nitems = "tags"\npath = "/tags/{slug}"\n'
                'template = "tag.html"\ntitle = "{slug}"\n')
    data = []
    for tag in TAGS:
        data.append(f"[[tags]]\nslug = {toml_str(tag)}\n")
        for _, title, path, desc in sorted(tagged[tag]):
            data.append(f"[[tags.pages]]\ntitle = {toml_str(title)}\npath = {toml_str(path)}\n"
                        f"description = {toml_str(desc)}\n")
    write(f"{t}/content/data/tags.toml", "".join(data))

    # Hugo: the same listings from its own sections and taxonomies.
    write(f"{h}/layouts/_default/single.html",
          '{{ define "main" }}<h1>{{ .Title }}</h1><p>{{ range .Params.tags }}'
          '<a href="/tags/{{ . | urlize }}/">{{ . }}</a> {{ end }}</p>{{ .Content }}{{ end }}\n')
    write(f"{h}/layouts/_default/list.html",
          '{{ define "main" }}<h1>{{ .Title }}</h1>{{ .Content }}<ul>{{ range .Pages }}'
          '<li><a href="{{ .RelPermalink }}">{{ .Title }}</a> {{ .Description }}</li>{{ end }}'
          '</ul>{{ end }}\n')


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--shape", choices=("flat", "sections", "code"), default="flat")
    parser.add_argument("n", type=int)
    parser.add_argument("out")
    args = parser.parse_args()
    t, h = os.path.join(args.out, "touchline"), os.path.join(args.out, "hugo")
    {"flat": flat, "sections": sections, "code": code_shape}[args.shape](args.n, t, h)


if __name__ == "__main__":
    main()
