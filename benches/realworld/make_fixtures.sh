#!/usr/bin/env bash
# Copies the score MIDI files that tests/abc_realworld.rs ships from the generated corpus
# (make_corpus.py) into tests/fixtures/realworld/. The choice covers 1-6 parts, 4/2, 3/2,
# 2/2, 4/4, 2/4, 3/4, 4/8, 6/8, 9/8, major and minor keys, pickups, metre and tempo
# changes, and the files prep got wrong on 2026-12-06 (main 5b495a3), under 300 KB. Usage: benches/realworld/make_fixtures.sh [CORPUS]
set -euo pipefail
cd "$(dirname "$0")/../.."
corpus=${1:-/work/corpus-data/corpus}
dest=tests/fixtures/realworld
files=(
    renaissance/score/palestrina-Agnus_I_22.mid
    renaissance/score/palestrina-Benedictus_88_b.mid
    renaissance/score/palestrina-Kyrie_II_03.mid
    renaissance/score/josquin-milleRegrets.mid
    renaissance/score/josquin-laPlusDesPlus.mid
    renaissance/score/josquin-laDeplorationDeLaMorteDeJohannesOckeghem.mid
    renaissance/score/josquin-4vPerIlludAveProlatum.mid
    renaissance/score/lusitano-allor_che_ignuda.mid
    trecento/score/ciconia-quod_jactatur.mid
    trecento/score/trecento-PMFC_12_18-Sanctus_Mediolano.mid
    trecento/score/trecento-PMFC_12_23-Benedicamus_PMFC12.23.mid
    trecento/score/trecento-PMFC_13_02-Kyrie-Questa-fanciulla.mid
    ensemble/score/corelli-1grave.mid
    ensemble/score/weber-concertino_clarinet.mid
    folk/score/ryansMammoth-PaddyOnTheTurnpikeReel.mid
    folk/score/ryansMammoth-BullyForYouJig.mid
    folk/score/essenFolksong-folkHaydn-20.mid
    folk/score/ryansMammoth-BlueBirdReel.mid
    folk/score/ryansMammoth-KittySharpsChampionJig.mid
    folk/score/oneills1850-0401-0486-435.mid
    folk/score/oneills1850-0401-0486-420.mid
)
mkdir -p "$dest"
for f in "${files[@]}"; do
    cp "$corpus/$f" "$dest/"
done
du -sh "$dest"
