"""The SciPy, scikit-learn and array-api-extra functions acarray is tested with: one table.

Each case calls a library function on acarray tensors and on NumPy arrays (the
reference).  ``test_interop.py`` checks every case on each backend; README's
"Interoperability" section is generated from this table
(``python -m tests.interop.table`` prints it, ``--write`` updates README.md) and
a test fails when the two differ.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

os.environ["SCIPY_ARRAY_API"] = "1"  # before SciPy is imported (see conftest.py)

import array_api_compat  # noqa: E402
import array_api_extra as xpx  # noqa: E402
import scipy.cluster.vq  # noqa: E402
import scipy.constants  # noqa: E402
import scipy.fft  # noqa: E402
import scipy.integrate  # noqa: E402
import scipy.linalg  # noqa: E402
import scipy.ndimage  # noqa: E402
import scipy.optimize  # noqa: E402
import scipy.signal  # noqa: E402
import scipy.special  # noqa: E402
import scipy.stats  # noqa: E402
from sklearn import decomposition, discriminant_analysis, kernel_approximation, linear_model, preprocessing  # noqa: E402
from sklearn.metrics import pairwise  # noqa: E402

import acarray  # noqa: E402
import acarray.scipy  # noqa: E402, F401

# Input domains: name -> (low, high) of uniform values; None means standard normal.
DOMAINS = {"any": None, "pos": (0.5, 2.0), "unit": (0.1, 0.9), "sym": (-0.9, 0.9)}


@dataclass(frozen=True)
class Case:
    """``call(*arrays)`` on inputs of the given shapes and domains.

    ``grad`` says whether the gradient through the call is checked; ``note``
    says why not (it is printed in README).  ``refused_on`` names the backends on
    which the call is refused with a TypeError (checked there instead); a name
    starting with ``acarray.`` is one of acarray's own functions, printed as it is.
    """

    library: str
    name: str
    call: Callable
    inputs: tuple = (((5, 3), "any"),)
    grad: bool = True
    note: str = ""
    rtol: float = 1e-4
    refused_on: tuple = ()


def labels(a, values):
    """Integer labels as an array of the same kind as ``a`` (a Tensor or a NumPy array)."""
    return array_api_compat.array_namespace(a).asarray(values)


def _sk(name, call, inputs, **kw):
    return Case("scikit-learn", name, call, inputs, **kw)


def _sp(name, call, inputs=(((5, 3), "any"),), **kw):
    return Case("scipy", name, call, inputs, **kw)


def _xpx(name, call, inputs=(((5, 3), "any"),), **kw):
    return Case("array-api-extra", name, call, inputs, **kw)


def _acarray_scipy(name, inputs, *extra, **kw):
    """A case of ``acarray.scipy``'s ``name`` ("signal.convolve") called with the inputs, then
    ``extra`` and ``kw``: acarray's function on tensors, SciPy's (the reference) on NumPy arrays;
    PyTorch has no library for it and refuses."""
    module, _, fname = name.partition(".")

    def call(*args):
        library = acarray.scipy if isinstance(args[0], acarray.Tensor) else scipy
        return getattr(getattr(library, module), fname)(*args, *extra, **kw)

    return Case("scipy", f"acarray.scipy.{name}", call, inputs, refused_on=("torch",))


special, stats, fft, integrate = scipy.special, scipy.stats, scipy.fft, scipy.integrate
M = ((5, 3), "any")
MP = ((5, 3), "pos")
V = ((6,), "any")
VP = ((6,), "pos")
SQ = ((3, 3), "any")
NORMAL = ((12,), "any")
NO_NUMPY = "SciPy computes it with NumPy (no array-API implementation): a tensor that requires grad refuses the conversion"
WITH_ACARRAY = NO_NUMPY + "; `acarray.scipy.{}` computes it with gradients"

CASES = [
    # scipy.special: through acarray.special (xp.special) or generic array-API code
    _sp("special.logsumexp", lambda x: special.logsumexp(x, axis=1)),
    _sp("special.softmax", lambda x: special.softmax(x, axis=1)),
    _sp("special.log_softmax", lambda x: special.log_softmax(x, axis=1)),
    _sp("special.erf", special.erf),
    _sp("special.erfc", special.erfc),
    _sp("special.erfinv", special.erfinv, (((6,), "sym"),)),
    _sp("special.expit", special.expit),
    _sp("special.logit", special.logit, (((6,), "unit"),)),
    _sp("special.gammaln", special.gammaln, (MP,)),
    _sp("special.psi", special.psi, (MP,)),
    _sp("special.ndtr", special.ndtr),
    _sp("special.ndtri", special.ndtri, (((6,), "unit"),)),
    _sp("special.log_ndtr", special.log_ndtr),
    _sp("special.entr", special.entr, (MP,)),
    _sp("special.xlogy", special.xlogy, (M, MP)),
    _sp("special.xlog1py", special.xlog1py, (M, MP)),
    _sp("special.i0", special.i0),
    _sp("special.i0e", special.i0e),
    _sp("special.i1", special.i1),
    _sp("special.i1e", special.i1e),
    _sp("special.gammainc", lambda x: special.gammainc(2.5, x), (MP,)),
    _sp("special.gammaincc", lambda x: special.gammaincc(2.5, x), (MP,)),
    _sp("special.betainc", lambda x: special.betainc(1.5, 2.5, x), (((6,), "unit"),)),
    _sp("special.stdtr", lambda x: special.stdtr(3.0, x), (V,)),
    _sp("special.logsumexp(b=)", lambda x, b: special.logsumexp(x, b=b, axis=0), (M, MP)),
    _sp("special.rel_entr", special.rel_entr, (MP, MP)),
    _sp("special.kl_div", special.kl_div, (MP, MP)),
    # scipy.stats
    _sp("stats.zscore", stats.zscore),
    _sp("stats.zmap", stats.zmap, (M, M)),
    _sp("stats.gmean", lambda x: stats.gmean(x, axis=0), (MP,)),
    _sp("stats.hmean", lambda x: stats.hmean(x, axis=0), (MP,)),
    _sp("stats.pmean", lambda x: stats.pmean(x, 2.5, axis=0), (MP,)),
    _sp("stats.moment", lambda x: stats.moment(x, 3, axis=0)),
    _sp("stats.skew", lambda x: stats.skew(x, axis=0)),
    _sp("stats.kurtosis", lambda x: stats.kurtosis(x, axis=0)),
    _sp("stats.variation", lambda x: stats.variation(x, axis=0), (MP,)),
    _sp("stats.sem", lambda x: stats.sem(x, axis=0)),
    _sp("stats.tmean", lambda x: stats.tmean(x, (0.6, 1.9)), (VP,)),
    _sp("stats.tvar", stats.tvar, (V,)),
    _sp("stats.tstd", stats.tstd, (V,)),
    _sp("stats.trim_mean", lambda x: stats.trim_mean(x, 0.2, axis=0)),
    _sp("stats.entropy", stats.entropy, (VP, VP)),
    _sp("stats.differential_entropy", stats.differential_entropy, (NORMAL,)),
    _sp("stats.circmean", stats.circmean, (V,)),
    _sp("stats.circstd", stats.circstd, (V,)),
    _sp("stats.gstd", stats.gstd, (VP,)),
    _sp("stats.kstat", lambda x: stats.kstat(x, 2), (V,)),
    _sp("stats.boxcox_llf", lambda x: stats.boxcox_llf(0.5, x), (VP,)),
    _sp("stats.quantile", lambda x: stats.quantile(x, 0.3), (V,)),
    _sp("stats.iqr", stats.iqr, (V,)),
    _sp("stats.median_abs_deviation", stats.median_abs_deviation, (V,)),
    _sp("stats.chisquare", lambda x: stats.chisquare(x).statistic, (VP,)),
    _sp("stats.jarque_bera", lambda x: stats.jarque_bera(x).statistic, (NORMAL,)),
    _sp("stats.skewtest", lambda x: stats.skewtest(x).statistic, (NORMAL,)),
    _sp("stats.kurtosistest", lambda x: stats.kurtosistest(x).pvalue, (((24,), "any"),)),
    _sp("stats.normaltest", lambda x: stats.normaltest(x).pvalue, (((24,), "any"),)),
    _sp("stats.describe", lambda x: stats.describe(x).skewness, (V,)),
    _sp("stats.circvar", stats.circvar, (V,)),
    _sp("stats.tsem", stats.tsem, (V,)),
    _sp("stats.tmin", stats.tmin, (V,)),
    _sp("stats.kstatvar", stats.kstatvar, (V,)),
    _sp("stats.gzscore", stats.gzscore, (VP,)),
    _sp("stats.power_divergence", lambda x: stats.power_divergence(x, lambda_="log-likelihood").pvalue, (VP,)),
    _sp("stats.bartlett", lambda x, y: stats.bartlett(x, y).pvalue, (V, V)),
    _sp("stats.alexandergovern", lambda x, y: stats.alexandergovern(x, y).statistic, (V, V)),
    _sp("stats.directional_stats", lambda x: stats.directional_stats(x).mean_direction),
    _sp("stats.lmoment", stats.lmoment, (V,)),
    _sp("stats.spearmanrho", lambda x, y: stats.spearmanrho(x, y).statistic, (V, V)),
    _sp("stats.combine_pvalues", lambda p: stats.combine_pvalues(p).statistic, (((6,), "unit"),)),
    _sp("stats.yeojohnson_llf", lambda x: stats.yeojohnson_llf(0.5, x), (V,)),
    _sp("stats.f_oneway", lambda x, y: stats.f_oneway(x, y).pvalue, (V, V), grad=False, note=NO_NUMPY),
    _sp("stats.ttest_1samp", lambda x: stats.ttest_1samp(x, 0.5).pvalue, (V,)),
    _sp("stats.ttest_ind", lambda x, y: stats.ttest_ind(x, y).pvalue, (V, V)),
    _sp("stats.ttest_rel", lambda x, y: stats.ttest_rel(x, y).pvalue, (V, V)),
    _sp("stats.pearsonr", lambda x, y: stats.pearsonr(x, y).pvalue, (V, V)),
    # scipy.fft
    _sp("fft.fft", fft.fft, (V,)),
    _sp("fft.rfft", fft.rfft, (V,)),
    _sp("fft.irfft", fft.irfft, (V,)),
    _sp("fft.fftn", fft.fftn),
    _sp("fft.hfft", fft.hfft, (V,)),
    _sp("fft.fftshift", fft.fftshift, (V,)),
    _sp("fft.fht", lambda x: fft.fht(x, 0.1, 0.0), (V,)),
    _sp("fft.ifht", lambda x: fft.ifht(x, 0.1, 0.0), (V,)),
    _sp("fft.ifft", fft.ifft, (V,)),
    _sp("fft.ihfft", fft.ihfft, (V,)),
    _sp("fft.rfftn", fft.rfftn),
    _sp("fft.ifftshift", fft.ifftshift, (V,)),
    # scipy.integrate
    _sp("integrate.trapezoid", integrate.trapezoid, (V,)),
    _sp("integrate.cumulative_trapezoid", integrate.cumulative_trapezoid, (V,)),
    _sp("integrate.cumulative_simpson", integrate.cumulative_simpson, (V,)),
    _sp("integrate.romb", integrate.romb, (((9,), "any"),), grad=False,
        note="romb writes into a constant (`h /= 2.0`) that a recorded product still needs"),
    # scipy.cluster, scipy.linalg, scipy.optimize, scipy.signal, scipy.ndimage
    _sp("cluster.vq.whiten", scipy.cluster.vq.whiten),
    _sp("linalg.block_diag", scipy.linalg.block_diag, (SQ, M)),
    _sp("linalg.fiedler", scipy.linalg.fiedler, (V,)),
    _sp("linalg.orthogonal_procrustes", lambda a, b: scipy.linalg.orthogonal_procrustes(a, b)[0], (M, M)),
    _sp("optimize.rosen", scipy.optimize.rosen, (V,)),
    _sp("optimize.rosen_der", scipy.optimize.rosen_der, (V,)),
    _sp("optimize.rosen_hess", scipy.optimize.rosen_hess, (V,)),
    _sp("optimize.rosen_hess_prod", scipy.optimize.rosen_hess_prod, (V, V)),
    _sp("integrate.cubature", lambda a: integrate.cubature(lambda t: t**2, a, a + 1.0).estimate, (((1,), "any"),)),
    _sp("constants.convert_temperature", lambda x: scipy.constants.convert_temperature(x, "C", "K"), (V,)),
    _sp("signal.windows.kaiser", lambda x: scipy.signal.windows.kaiser(7, 2.5, xp=x.__array_namespace__())
        if hasattr(x, "__array_namespace__") else scipy.signal.windows.kaiser(7, 2.5), (V,), grad=False,
        note="a window is a constant (built with xp=)"),
    _sp("signal.detrend", scipy.signal.detrend, (V,), grad=False, note=NO_NUMPY),
    _sp("signal.convolve", scipy.signal.convolve, (V, ((3,), "any")), grad=False,
        note=WITH_ACARRAY.format("signal.convolve")),
    _sp("ndimage.gaussian_filter", lambda x: scipy.ndimage.gaussian_filter(x, 1.0), grad=False,
        note=WITH_ACARRAY.format("ndimage.gaussian_filter")),
    _acarray_scipy("signal.convolve", (V, ((3,), "any"))),
    _acarray_scipy("signal.correlate", (M, ((2, 4), "any")), "same"),
    _acarray_scipy("signal.fftconvolve", (M, ((2, 2), "any")), "valid"),
    _acarray_scipy("ndimage.gaussian_filter", (M,), 1.0, mode="mirror"),
    # scikit-learn, with sklearn.config_context(array_api_dispatch=True)
    _sk("metrics.pairwise.euclidean_distances", pairwise.euclidean_distances, (M, ((4, 3), "any"))),
    _sk("metrics.pairwise.rbf_kernel", lambda a, b: pairwise.rbf_kernel(a, b, gamma=0.5), (M, ((4, 3), "any"))),
    _sk("metrics.pairwise.polynomial_kernel", lambda a, b: pairwise.polynomial_kernel(a, b, degree=2),
        (M, ((4, 3), "any"))),
    _sk("metrics.pairwise.sigmoid_kernel", pairwise.sigmoid_kernel, (M, ((4, 3), "any"))),
    _sk("metrics.pairwise.cosine_similarity", pairwise.cosine_similarity, (M, ((4, 3), "any"))),
    _sk("metrics.pairwise.chi2_kernel", pairwise.chi2_kernel, (MP, ((4, 3), "pos"))),
    _sk("metrics.pairwise.laplacian_kernel", pairwise.laplacian_kernel, (M, ((4, 3), "any"))),
    _sk("metrics.pairwise.manhattan_distances", pairwise.manhattan_distances, (M, ((4, 3), "any"))),
    _sk("metrics.pairwise.additive_chi2_kernel", pairwise.additive_chi2_kernel, (MP, ((4, 3), "pos"))),
    _sk("metrics.pairwise.paired_euclidean_distances", pairwise.paired_euclidean_distances, (M, M)),
    _sk("preprocessing.MinMaxScaler", lambda x: preprocessing.MinMaxScaler().fit_transform(x), (M,)),
    _sk("preprocessing.MaxAbsScaler", lambda x: preprocessing.MaxAbsScaler().fit_transform(x), (M,)),
    _sk("preprocessing.Normalizer", lambda x: preprocessing.Normalizer().fit_transform(x), (M,)),
    _sk("preprocessing.KernelCenterer", lambda x: preprocessing.KernelCenterer().fit_transform(x @ x.T), (M,)),
    _sk("preprocessing.PolynomialFeatures", lambda x: preprocessing.PolynomialFeatures(2).fit_transform(x), (M,)),
    _sk("preprocessing.StandardScaler", lambda x: preprocessing.StandardScaler().fit_transform(x), (M,),
        grad=False, note="its first fit computes 0/0 and overwrites it; the NaN reaches the gradient as 0 * NaN"),
    _sk("decomposition.PCA", lambda x: decomposition.PCA(2, svd_solver="full").fit(x).explained_variance_,
        (((8, 3), "any"),)),
    _sk("linear_model.RidgeCV", lambda x, y: linear_model.RidgeCV(alphas=(0.1, 1.0)).fit(x, y).coef_,
        (((8, 3), "any"), ((8,), "any"))),
    _sk("linear_model.Ridge", lambda x, y: linear_model.Ridge(alpha=1.0, solver="svd").fit(x, y).coef_,
        (((8, 3), "any"), ((8,), "any"))),
    _sk("discriminant_analysis.LinearDiscriminantAnalysis",
        lambda x: discriminant_analysis.LinearDiscriminantAnalysis().fit(x, labels(x, [0, 1] * 4)).predict_proba(x),
        (((8, 3), "any"),)),
    _sk("kernel_approximation.Nystroem",
        lambda x: kernel_approximation.Nystroem(n_components=3, random_state=0).fit_transform(x), (((8, 3), "any"),)),
    # array-api-extra
    _xpx("at(...).set", lambda x: xpx.at(x, (slice(None), 0)).set(0.5, copy=True)),
    _xpx("at(...).multiply", lambda x, y: xpx.at(x * 1.0, (slice(1, 3), ...)).multiply(y[1:3, ...], copy=False), (M, M)),
    _xpx("apply_where", lambda x: xpx.apply_where(x > 0, x, lambda v: v**2, lambda v: -v)),
    _xpx("atleast_nd", lambda x: xpx.atleast_nd(x, ndim=3), (V,)),
    _xpx("cov", lambda x: xpx.cov(x)),
    _xpx("create_diagonal", xpx.create_diagonal, (V,)),
    _xpx("expand_dims", lambda x: xpx.expand_dims(x, axis=(0, 2))),
    _xpx("kron", xpx.kron, (SQ, ((2, 2), "any"))),
    _xpx("pad", lambda x: xpx.pad(x, 2)),
    _xpx("sinc", xpx.sinc, (V,)),
    _xpx("nan_to_num", xpx.nan_to_num),
    _xpx("nanmean", lambda x: xpx.nanmean(x, axis=0)),
    _xpx("nansum", lambda x: xpx.nansum(x, axis=0)),
    _xpx("nanmax", lambda x: xpx.nanmax(x, axis=0)),
    _xpx("isclose", lambda x, y: xpx.isclose(x, y), (M, M), grad=False, note="boolean result"),
    _xpx("nunique", xpx.nunique, (V,), grad=False, note="integer result"),
    _xpx("setdiff1d", lambda x, y: xpx.setdiff1d(x, y), (V, V), grad=False, note="set operation (sorting)"),
    _xpx("one_hot", lambda x: xpx.one_hot(labels(x, [0, 2, 1]), 3), (V,), grad=False, note="integer input"),
]


def case_id(case: Case) -> str:
    return f"{case.library}:{case.name}"


# -- README section -------------------------------------------------------------------

BEGIN = "<!-- interop table: generated by `python -m tests.interop.table --write`; do not edit -->"
END = "<!-- end of interop table -->"
README = Path(__file__).resolve().parents[2] / "README.md"
QUALIFIED = {"scipy": "scipy.", "scikit-learn": "sklearn.", "array-api-extra": "xpx."}


def render() -> str:
    """README's generated list: per library, the functions with gradients and those with values only."""
    lines = [BEGIN]
    for library in QUALIFIED:
        cases = [c for c in CASES if c.library == library]
        with_grad = [c for c in cases if c.grad and not c.refused_on]
        refusing = [c for c in cases if c.grad and c.refused_on]
        values = [c for c in cases if not c.grad]
        lines.append("")
        lines.append(f"**{library}**: {len(cases)} functions tested, {len(with_grad) + len(refusing)} with gradients.")
        lines.append("")
        lines.append("- With gradients: " + ", ".join(f"`{_shown(library, c)}`" for c in with_grad) + ".")
        for refused in sorted({c.refused_on for c in refusing}):
            names = ", ".join(f"`{_shown(library, c)}`" for c in refusing if c.refused_on == refused)
            lines.append(f"- With gradients (refused with a TypeError on {', '.join(refused)}): {names}.")
        for c in values:
            lines.append(f"- Values only: `{_shown(library, c)}` ({c.note}).")
    lines.append(END)
    return "\n".join(lines)


def _shown(library: str, case: Case) -> str:
    """The case's function as README names it."""
    return case.name if case.name.startswith("acarray.") else QUALIFIED[library] + case.name


def readme_section(text: str) -> str:
    """The generated part of README's text (between the markers), or '' if there is none."""
    if BEGIN not in text or END not in text:
        return ""
    return text[text.index(BEGIN): text.index(END) + len(END)]


def main(argv) -> int:
    if "--write" in argv:
        text = README.read_text()
        old = readme_section(text)
        if not old:
            print(f"README.md has no markers; add these two lines where the list belongs:\n{BEGIN}\n{END}")
            return 1
        README.write_text(text.replace(old, render()))
        return 0
    print(render())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
