import java.io.File;
import java.io.IOException;
import java.lang.reflect.Field;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.Scanner;

import mv2h.Main;
import mv2h.objects.MV2H;
import mv2h.objects.Music;
import mv2h.objects.meter.Grouping;
import mv2h.objects.meter.Meter;
import mv2h.tools.AlignmentNode;
import mv2h.tools.Aligner;

/**
 * MV2H's non-aligned evaluation (`mv2h.Main -a`) with a bound on the tied alignments it tries.
 *
 * MV2H aligns transcription and ground truth by DTW and scores every alignment of
 * minimal cost, keeping the best. On performed music the ties multiply: a 2-minute trio
 * sonata gives about 7e26 of them, so `-a` never ends. This driver uses MV2H's own
 * aligner and scorer with the settings `-a` sets, and scores at most LIMIT of the tied
 * alignments, spread evenly over their index range; the result is the best of those (a
 * lower bound of what MV2H would report).
 *
 * Two faults of MV2H's non-aligned Meter score (07589ec; apmcleod/MV2H issue #14) are
 * mended here, outside MV2H's code:
 * - `Music.align` hands the new `Music` a meter that already holds the aligned groupings,
 *   and the `Music` constructor adds them again from the aligned tatums: every grouping
 *   of the transcription is counted twice, so a file scored against itself gets Meter
 *   2/3. The second set (recounted, one grouping more or less where aligned tatums
 *   coincide) is dropped; the first holds the transcription's own groupings, aligned.
 * - `Meter.getF1` removes each matched grouping from the ground truth's own list, so
 *   every alignment after the first is scored against what the earlier ones left. The
 *   list is restored before each alignment.
 *
 * Usage:
 * java -cp MV2H_BIN:. BoundedAlignment GROUND_TRUTH.txt TRANSCRIPTION.txt [LIMIT]
 */
public final class BoundedAlignment {
    public static void main(String[] args) throws IOException, ReflectiveOperationException {
        Main.DURATION_DELTA = 20;
        Main.ONSET_DELTA = 0;
        Main.GROUPING_EPSILON = 20;
        int limit = args.length > 2 ? Integer.parseInt(args[2]) : 20;
        Music truth = Music.parseMusic(new Scanner(new File(args[0])));
        Music transcription = Music.parseMusic(new Scanner(new File(args[1])));
        List<AlignmentNode> nodes = Aligner.getPossibleAlignments(truth, transcription);
        BigInteger total = BigInteger.ZERO;
        for (AlignmentNode node : nodes) {
            total = total.add(node.count);
        }
        BigInteger step = total.divide(BigInteger.valueOf(limit)).max(BigInteger.ONE);
        List<Grouping> truthGroupings = groupings(truth);
        List<Grouping> allTruthGroupings = new ArrayList<>(truthGroupings);
        int transcribedGroupings = groupings(transcription).size();
        MV2H best = new MV2H(0, 0, 0, 0, 0);
        int tried = 0;
        BigInteger offset = BigInteger.ZERO;
        for (AlignmentNode node : nodes) {
            for (BigInteger i = BigInteger.ZERO; i.compareTo(node.count) < 0 && tried < limit; ) {
                List<Integer> alignment = node.getAlignment(i);
                Music aligned = transcription.align(truth, alignment);
                List<Grouping> alignedGroupings = groupings(aligned);
                alignedGroupings.subList(Math.min(transcribedGroupings, alignedGroupings.size()), alignedGroupings.size()).clear();
                truthGroupings.clear();
                truthGroupings.addAll(allTruthGroupings);
                MV2H candidate = truth.evaluateTranscription(aligned);
                if (candidate.compareTo(best) > 0) {
                    best = candidate;
                }
                tried++;
                // The next index that is a multiple of `step` in the global numbering.
                BigInteger global = offset.add(i).add(step).divide(step).multiply(step);
                i = global.subtract(offset);
            }
            offset = offset.add(node.count);
        }
        System.out.println("Alignments: " + tried + " of " + total);
        System.out.println(best);
    }

    /** The meter's own list of groupings (bars, beats, sub-beats) of a piece. */
    private static List<Grouping> groupings(Music music) throws ReflectiveOperationException {
        Field meter = Music.class.getDeclaredField("meter");
        meter.setAccessible(true);
        return ((Meter) meter.get(music)).getGroupings();
    }
}
