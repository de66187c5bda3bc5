"""Builds the example notebooks' JSON from plain text cells (a maintainer's tool; the notebooks are the product)."""
import json


def setsrc(c, text):
    lines = text.split('\n')
    c['source'] = [l + '\n' for l in lines[:-1]] + [lines[-1]]


def code(text, tags=None):
    c = {'cell_type': 'code', 'execution_count': None, 'metadata': ({'tags': tags} if tags else {}), 'outputs': [], 'source': []}
    setsrc(c, text)
    return c


def md(text):
    c = {'cell_type': 'markdown', 'metadata': {}, 'source': []}
    setsrc(c, text)
    return c


def write(path, cells):
    nb = {
        'cells': cells,
        'metadata': {
            'kernelspec': {'display_name': 'TypeScript (streamlab)', 'language': 'typescript', 'name': 'streamlab'},
            'language_info': {'name': 'typescript', 'file_extension': '.ts', 'mimetype': 'text/x.typescript'},
        },
        'nbformat': 4,
        'nbformat_minor': 5,
    }
    with open(path, 'w') as f:
        f.write(json.dumps(nb, indent=1, ensure_ascii=False) + '\n')
