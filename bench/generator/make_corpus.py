#!/usr/bin/env python3
"""Writes the same synthetic site for Touchline and for Hugo: N Markdown pages with TOML front
matter, ~500 words each, a table, a code block and internal links to other pages.

Usage: make_corpus.py N OUT_DIR   (creates OUT_DIR/touchline and OUT_DIR/hugo)
"""
import os
import random
import sys

WORDS = ("match goal keeper striker league table season club stadium manager press pass "
         "tackle corner header volley winger defender midfield final derby fixture points "
         "relegation promotion cup penalty referee offside crowd anthem tactics formation").split()


def page(i, n, rng):
    paras = []
    for _ in range(5):
        sentences = []
        for _ in range(6):
            words = [rng.choice(WORDS) for _ in range(15)]
            sentences.append(" ".join(words).capitalize() + ".")
        paras.append(" ".join(sentences))
    links = " ".join(f"[page {j}](/p/{j})" for j in (rng.randrange(n) for _ in range(3)))
    table = "| Club | P | Pts |\n|---|---:|---:|\n" + "\n".join(
        f"| {rng.choice(WORDS).title()} | 38 | {rng.randrange(100)} |" for _ in range(5))
    code = "```rust\nfn main() {\n    println!(\"page %d\");\n}\n```" % i
    return (f"+++\ntitle = \"Page {i}\"\ndescription = \"Synthetic page {i}\"\nweight = {i}\n"
            f"date = 2024-05-19\n+++\n\n# Page {i}\n\n{paras[0]}\n\n## Results\n\n{table}\n\n"
            f"{paras[1]}\n\n{code}\n\n{paras[2]}\n\nSee also {links}.\n\n{paras[3]}\n\n{paras[4]}\n")


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


def main():
    n, out = int(sys.argv[1]), sys.argv[2]
    rng = random.Random(42)
    pages = [page(i, n, rng) for i in range(n)]
    t, h = os.path.join(out, "touchline"), os.path.join(out, "hugo")
    write(f"{t}/site.toml", 'title = "Bench"\nbase_url = "https://bench.example"\n')
    write(f"{t}/content/_index.md", '+++\ntitle = "Bench"\n+++\nA synthetic site.\n')
    write(f"{t}/themes/default/static/app.css", "body { font-family: sans-serif }\n")
    base = ('<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>{{ page.title }}</title>'
            '<link rel="stylesheet" href="{{ asset(\'app.css\') }}"></head>\n<body><main>'
            '{% block main %}{% endblock %}</main></body></html>\n')
    write(f"{t}/themes/default/templates/base.html", base)
    write(f"{t}/themes/default/templates/page.html",
          '{% extends "base.html" %}{% block main %}<h1>{{ page.title }}</h1>{{ page.content }}{% endblock %}\n')
    write(f"{t}/themes/default/templates/index.html",
          '{% extends "base.html" %}{% block main %}{{ page.content }}{% endblock %}\n')
    write(f"{h}/hugo.toml", 'baseURL = "https://bench.example/"\ntitle = "Bench"\n'
          'disableKinds = ["taxonomy", "term", "RSS"]\n[markup.goldmark.renderer]\nunsafe = true\n')
    write(f"{h}/content/_index.md", '+++\ntitle = "Bench"\n+++\nA synthetic site.\n')
    write(f"{h}/static/app.css", "body { font-family: sans-serif }\n")
    hbase = ('<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>{{ .Title }}</title>'
             '<link rel="stylesheet" href="/app.css"></head>\n<body><main>'
             '{{ block "main" . }}{{ end }}</main></body></html>\n')
    write(f"{h}/layouts/_default/baseof.html", hbase)
    write(f"{h}/layouts/_default/single.html",
          '{{ define "main" }}<h1>{{ .Title }}</h1>{{ .Content }}{{ end }}\n')
    write(f"{h}/layouts/_default/list.html", '{{ define "main" }}{{ .Content }}{{ end }}\n')
    write(f"{h}/layouts/index.html", '{{ define "main" }}{{ .Content }}{{ end }}\n')
    for i, text in enumerate(pages):
        write(f"{t}/content/p/{i}.md", text)
        write(f"{h}/content/p/{i}.md", text)


if __name__ == "__main__":
    main()
