"""The registered real data sets of the field's reference benchmarks, downloaded on use.

Sources (the locations the reference benchmarks themselves load from):

- Tabula Sapiens v2, one entry per tissue (``tsv2_<tissue>``): the per-tissue curated
  files cz-benchmarks loads (its ``conf/datasets.yaml``), in the public
  ``cz-benchmarks-data`` S3 bucket, fetched over HTTPS. Raw counts in ``X`` and Ensembl
  ids (cz-benchmarks checks both), CELLxGENE schema columns (``cell_type``, ``donor_id``).
- The spermatogenesis atlas of Murat et al. (2023), one entry per species
  (``spermatogenesis_<species>``): the curated per-species files of cz-benchmarks'
  cross-species ("evo_distance") task, same bucket.
- Perturb-seq screens: ``norman2019`` and ``replogle2022_k562_essential`` from the
  harmonised scPerturb files on Zenodo (record 13350497, CC BY 4.0): raw counts in ``X``,
  gene symbols, ``obs["perturbation"]`` with ``"control"`` for control cells;
  ``adamson2016`` from cz-benchmarks' prepared file (scPerturb's Adamson file has no
  control label), with GEARS' ``condition``/``ctrl`` columns.

No published sha256 is known for these files, so ``sha256`` is None: the first download
records one in the cache's lock file and later loads verify it. Sizes are not pinned
either (``size_bytes`` None) for the same reason. Every URL here was taken from the
projects named above, not constructed by guess; each is one HTTP GET.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..registry import register_dataset
from .base import DatasetKeys, DatasetSpec, RemoteSource
from .refs import check_params
from .remote import remote_dataset

CZ_BUCKET = "https://cz-benchmarks-data.s3.amazonaws.com/datasets/v1"
SCPERTURB = "https://zenodo.org/records/13350497/files"

TSV2_COLLECTION = "10df7690-6d10-4029-a47e-0f071bb2df83"
#: Tissues of Tabula Sapiens v2 as cz-benchmarks names its files.
TSV2_TISSUES = (
    "Bladder",
    "Blood",
    "Bone_Marrow",
    "Ear",
    "Eye",
    "Fat",
    "Heart",
    "Large_Intestine",
    "Liver",
    "Lung",
    "Lymph_Node",
    "Mammary",
    "Muscle",
    "Ovary",
    "Prostate",
    "Salivary_Gland",
    "Skin",
    "Small_Intestine",
    "Spleen",
    "Stomach",
    "Testis",
    "Thymus",
    "Tongue",
    "Trachea",
    "Uterus",
    "Vasculature",
)
TSV2_CITATION = (
    "The Tabula Sapiens Consortium. Tabula Sapiens reveals transcription factor expression, "
    "senescence effects, and sex-specific features in cell types from 28 tissues. bioRxiv (2024); "
    "Tabula Sapiens v1: Science 376, eabl4896 (2022), doi:10.1126/science.abl4896"
)

#: Species of the spermatogenesis atlas: registry suffix -> (organism, file stem).
SPERMATOGENESIS = {
    "human": ("human", "Homo_sapiens_ERP132584"),
    "mouse": ("mouse", "Mus_musculus_ERP132577"),
    "rhesus_macaque": ("rhesus_macaque", "Macaca_mulatta_ERP132582"),
    "gorilla": ("gorilla", "Gorilla_gorilla_ERP132581"),
    "chimpanzee": ("chimpanzee", "Pan_troglodytes_ERP139683"),
    "marmoset": ("marmoset", "Callithrix_jacchus_ERP132588"),
    "chicken": ("chicken", "Gallus_gallus_ERP132576"),
    "opossum": ("opossum", "Monodelphis_domestica_ERP132579"),
    "platypus": ("platypus", "Ornithorhynchus_anatinus_ERP132578"),
}
SPERMATOGENESIS_CITATION = (
    "Murat F, Mbengue N, Winge SB, et al. The molecular evolution of spermatogenesis across "
    "mammals. Nature 613, 308-316 (2023), doi:10.1038/s41586-022-05547-7"
)

SCPERTURB_CITATION = (
    "Peidli S, Green TD, Shen C, et al. scPerturb: harmonized single-cell perturbation data. "
    "Nature Methods 21, 531-540 (2024), doi:10.1038/s41592-023-02144-y"
)


@dataclass(frozen=True)
class Screen:
    """One Perturb-seq screen: where its file is and how its columns read."""

    url: str
    filename: str
    description: str
    citation: str
    condition_key: str
    control_value: str
    gene_id_type: str = "symbol"
    gene_column: str | None = None
    license: str = "CC BY 4.0 (scPerturb Zenodo record)"
    homepage: str = "https://projects.sanderlab.org/scperturb/"


PERTURB_SEQ = {
    # scPerturb's Adamson 10X010 file carries no control label in obs["perturbation"], so
    # Adamson comes from the file cz-benchmarks prepared (GEARS conventions: "condition",
    # "ctrl"; cz-benchmarks' loader requires Ensembl ids in var_names or var["ensembl_id"]).
    "adamson2016": Screen(
        url=f"{CZ_BUCKET}/perturb/single_cell/adamson_perturbation.h5ad",
        filename="adamson_perturbation.h5ad",
        description="Perturb-seq of the unfolded protein response in K562 (CRISPRi), Adamson et al. 2016 "
        "(cz-benchmarks file)",
        citation="Adamson B, Norman TM, Jost M, et al. A multiplexed single-cell CRISPR screening platform "
        "enables systematic dissection of the unfolded protein response. Cell 167, 1867-1882 (2016), "
        "doi:10.1016/j.cell.2016.11.048",
        condition_key="condition",
        control_value="ctrl",
        gene_id_type="ensembl",
        gene_column="ensembl_id",
        license="not stated by the host; original data GEO GSE90546",
        homepage="https://github.com/chanzuckerberg/cz-benchmarks",
    ),
    "norman2019": Screen(
        url=f"{SCPERTURB}/NormanWeissman2019_filtered.h5ad?download=1",
        filename="NormanWeissman2019_filtered.h5ad",
        description="Single and combinatorial CRISPRa Perturb-seq in K562, Norman et al. 2019 (scPerturb)",
        citation="Norman TM, Horlbeck MA, Replogle JM, et al. Exploring genetic interaction manifolds "
        "constructed from rich single-cell phenotypes. Science 365, 786-793 (2019), "
        f"doi:10.1126/science.aax4438; harmonised by {SCPERTURB_CITATION}",
        condition_key="perturbation",
        control_value="control",
    ),
    "replogle2022_k562_essential": Screen(
        url=f"{SCPERTURB}/ReplogleWeissman2022_K562_essential.h5ad?download=1",
        filename="ReplogleWeissman2022_K562_essential.h5ad",
        description="Genome-scale Perturb-seq, K562 essential-gene CRISPRi screen, Replogle et al. 2022 (scPerturb)",
        citation="Replogle JM, Saunders RA, Pogson AN, et al. Mapping information-rich genotype-phenotype "
        "landscapes with genome-scale Perturb-seq. Cell 185, 2559-2575 (2022), "
        f"doi:10.1016/j.cell.2022.05.013; harmonised by {SCPERTURB_CITATION}",
        condition_key="perturbation",
        control_value="control",
    ),
}


def _register(name: str, build: Any) -> None:
    def factory(**params: Any) -> DatasetSpec:
        check_params(name, params, {})
        return build()

    factory.__name__ = name
    factory.__doc__ = f"Registered remote data set {name!r} (downloaded on first use)."
    register_dataset(name, factory)


def tsv2(tissue: str) -> DatasetSpec:
    """Tabula Sapiens v2, one tissue."""
    name = f"tsv2_{tissue.lower()}"
    source = RemoteSource(
        url=f"{CZ_BUCKET}/cell_atlases/Homo_sapiens/Tabula_Sapiens_v2/"
        f"homo_sapiens_{TSV2_COLLECTION}_{tissue}_v2_curated.h5ad",
        filename=f"homo_sapiens_{TSV2_COLLECTION}_{tissue}_v2_curated.h5ad",
        counts="X",
        gene_column="ensembl_id",
        license="CC BY 4.0 (CZ CELLxGENE Discover data policy)",
        citation=TSV2_CITATION,
        homepage=f"https://cellxgene.cziscience.com/collections/{TSV2_COLLECTION}",
    )
    return remote_dataset(
        name,
        source,
        DatasetKeys(label_key="cell_type", batch_key="donor_id"),
        organism="human",
        gene_id_type="ensembl",
        description=f"Tabula Sapiens v2, {tissue.replace('_', ' ').lower()} (cz-benchmarks curated file)",
    )


def spermatogenesis(species: str) -> DatasetSpec:
    """The spermatogenesis atlas, one species."""
    organism, stem = SPERMATOGENESIS[species]
    source = RemoteSource(
        url=f"{CZ_BUCKET}/evo_distance/testis/{stem}_droplet_based_curated.h5ad",
        filename=f"{stem}_droplet_based_curated.h5ad",
        counts="X",
        gene_column="ensembl_id",
        license="not stated by the host; see the publication's data availability (ENA "
        f"project {stem.rsplit('_', 1)[1]})",
        citation=SPERMATOGENESIS_CITATION,
        homepage="https://github.com/chanzuckerberg/cz-benchmarks",
    )
    return remote_dataset(
        f"spermatogenesis_{species}",
        source,
        DatasetKeys(label_key="cell_type", species_key="species"),
        organism=organism,
        gene_id_type="ensembl",
        description=f"Testis (spermatogenesis) atlas, {organism.replace('_', ' ')}, Murat et al. 2023",
    )


def perturb_seq(name: str) -> DatasetSpec:
    """One Perturb-seq screen."""
    screen = PERTURB_SEQ[name]
    source = RemoteSource(
        url=screen.url,
        filename=screen.filename,
        counts="X",
        gene_column=screen.gene_column,
        license=screen.license,
        citation=screen.citation,
        homepage=screen.homepage,
    )
    return remote_dataset(
        name,
        source,
        DatasetKeys(condition_key=screen.condition_key, control_value=screen.control_value),
        organism="human",
        gene_id_type=screen.gene_id_type,
        description=screen.description,
    )


for _tissue in TSV2_TISSUES:
    _register(f"tsv2_{_tissue.lower()}", lambda t=_tissue: tsv2(t))
for _species in SPERMATOGENESIS:
    _register(f"spermatogenesis_{_species}", lambda s=_species: spermatogenesis(s))
for _name in PERTURB_SEQ:
    _register(_name, lambda n=_name: perturb_seq(n))

#: Every name this module registers.
CATALOG_NAMES = (
    [f"tsv2_{t.lower()}" for t in TSV2_TISSUES] + [f"spermatogenesis_{s}" for s in SPERMATOGENESIS] + list(PERTURB_SEQ)
)
