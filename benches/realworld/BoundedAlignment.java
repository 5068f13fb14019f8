import java.io.File;
import java.io.IOException;
import java.math.BigInteger;
import java.util.List;
import java.util.Scanner;

import mv2h.Main;
import mv2h.objects.MV2H;
import mv2h.objects.Music;
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
 * lower bound of what MV2H would report). Usage:
 * java -cp MV2H_BIN:. BoundedAlignment GROUND_TRUTH.txt TRANSCRIPTION.txt [LIMIT]
 */
public final class BoundedAlignment {
    public static void main(String[] args) throws IOException {
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
        MV2H best = new MV2H(0, 0, 0, 0, 0);
        int tried = 0;
        BigInteger offset = BigInteger.ZERO;
        for (AlignmentNode node : nodes) {
            for (BigInteger i = BigInteger.ZERO; i.compareTo(node.count) < 0 && tried < limit; ) {
                List<Integer> alignment = node.getAlignment(i);
                MV2H candidate = truth.evaluateTranscription(transcription.align(truth, alignment));
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
}
