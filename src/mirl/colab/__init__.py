"""Import the precomputed results that the paper's Colab downloads, in mirl's vocabulary.

The Colab (``mirl.ipynb``) can skip training and fetch four pickles instead:

- ``mi_results.pkl``: a pandas DataFrame with columns ``exp_name, nets, Critic, Estimator,
  run, iteration, bound_value, accuracy, label`` (Figs. 1a-b, 2a-b, 3, 4a-b);
- ``condition_numbers_results.pkl``: ``[(ResultsConfig(nets, critic, loss), [Results, ...]),
  ...]``, each ``Results`` holding per evaluation the ``[batch, 392]`` singular values of
  g1's Jacobian (Fig. 2c);
- ``noniid_results.pkl``: ``ResultsSamplingIssues`` (true MI and four bound traces, Fig. 4c);
- ``adversarial_results.pkl``: ``ResultsAdversarial`` (the accuracy curve of Fig. 1c).

``import_colab`` recognizes each file by its content, converts it to mirl's names and
writes ``OUT/colab/``; ``load_colab`` reads it back. Pickles from the web can run code when
loaded: unless ``trust`` is given, only the numpy, pandas and Colab types these files are
made of may be named in them; anything else is refused with an error that says so.

The modules, one job each: ``schema`` (the Colab's types and ``ColabResults``),
``unpickling`` (the allow-list over ``mirl._unpickle``), ``convert`` (recognize and convert
a file; names through ``mirl.paper.names``), ``storage`` (``DIR/colab/``, checksummed with
``mirl._files``) and ``summary`` (what the command prints).
"""

from mirl.colab.convert import convert_frame
from mirl.colab.schema import COLUMNS, ColabImportError, ColabResults
from mirl.colab.storage import import_colab, load_colab
from mirl.colab.summary import cli_import_colab, summary_lines

__all__ = [
    "COLUMNS",
    "ColabImportError",
    "ColabResults",
    "cli_import_colab",
    "convert_frame",
    "import_colab",
    "load_colab",
    "summary_lines",
]
