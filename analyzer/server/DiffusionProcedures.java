// diffusion's server procedures: the per-product reads of the influence, domain and
// cascade analyses. Each procedure returns exactly the rows of the Cypher module of the
// same name (cypher/influence, cypher/domains, cypher/cascades; tests compare them), as
// columns. Users travel as numbers, their rank in user_id order in the projection
// (below), with the projection's key beside them, so a million rows carry no id text;
// diffusion.user_ids turns the numbers a caller shows into ids.
//
// The procedures answer from a projection: the users, friendships and per-product
// relationships of the database as arrays, read once with the core API and kept in the
// DBMS's heap until the next committed write (the key is the database and its last
// committed transaction id). The first call after a write builds it; every later call,
// for any product, reads arrays instead of the record store.
//
// `diffusion neo4j start` compiles this file into a plugin jar (see analyzer/server).
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.time.OffsetDateTime;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import java.util.stream.Stream;

import org.neo4j.graphdb.GraphDatabaseService;
import org.neo4j.graphdb.Label;
import org.neo4j.graphdb.Node;
import org.neo4j.graphdb.Relationship;
import org.neo4j.graphdb.RelationshipType;
import org.neo4j.graphdb.ResourceIterator;
import org.neo4j.graphdb.Transaction;
import org.neo4j.internal.kernel.api.Read;
import org.neo4j.internal.kernel.api.TokenRead;
import org.neo4j.kernel.api.KernelTransaction;
import org.neo4j.kernel.impl.coreapi.InternalTransaction;
import org.neo4j.kernel.internal.GraphDatabaseAPI;
import org.neo4j.procedure.Context;
import org.neo4j.procedure.Description;
import org.neo4j.procedure.Mode;
import org.neo4j.procedure.Name;
import org.neo4j.procedure.Procedure;
import org.neo4j.storageengine.api.TransactionIdStore;
import org.neo4j.token.api.TokenConstants;

@SuppressWarnings("deprecation")  // Node.getId: the projection's key, never returned or stored
public final class DiffusionProcedures {
    static final Label USER = Label.label("User");
    static final Label PRODUCT = Label.label("Product");
    static final RelationshipType FRIEND = RelationshipType.withName("FRIEND");
    static final RelationshipType LIKED = RelationshipType.withName("LIKED");
    static final RelationshipType SHARED = RelationshipType.withName("SHARED");
    static final RelationshipType GIFTED = RelationshipType.withName("GIFTED");
    static final RelationshipType PROMOTED = RelationshipType.withName("PROMOTED");
    static final RelationshipType PURCHASED = RelationshipType.withName("PURCHASED");
    static final RelationshipType EXPOSED = RelationshipType.withName("EXPOSED");

    @Context
    public Transaction tx;

    @Context
    public GraphDatabaseService db;

    // ------------------------------------------------------------------ helpers

    /** A growable long column. */
    static final class Longs {
        long[] a = new long[16];
        int n;

        void add(long v) {
            if (n == a.length) a = Arrays.copyOf(a, n * 2);
            a[n++] = v;
        }

        long[] array() {
            return Arrays.copyOf(a, n);
        }

        /** The column as little-endian int64s: Bolt carries it as one byte string. */
        byte[] bytes() {
            return int64s(a, n);
        }
    }

    /** A growable int column. */
    static final class Ints {
        int[] a = new int[16];
        int n;

        void add(int v) {
            if (n == a.length) a = Arrays.copyOf(a, n * 2);
            a[n++] = v;
        }
    }

    /** Open addressing map from keys >= 0 to the minimum value put for each; key and
     *  value side by side in one array (one cache line per probe). */
    static final class MinMap {
        long[] t;
        int size;

        MinMap() {
            this(1 << 10);
        }

        MinMap(int expected) {
            int cap = Integer.highestOneBit(Math.max(16, 2 * expected - 1)) << 1;
            t = new long[2 * cap];
            for (int i = 0; i < t.length; i += 2) t[i] = -1;
        }

        void putMin(long k, long v) {
            if (4 * (size + 1) > t.length) grow();
            int i = slot(k);
            if (t[i] < 0) {
                t[i] = k;
                t[i + 1] = v;
                size++;
            } else if (v < t[i + 1]) {
                t[i + 1] = v;
            }
        }

        long get(long k, long none) {
            int i = slot(k);
            return t[i] < 0 ? none : t[i + 1];
        }

        /** The key's slot (even index): where it is, or the empty one it would take. */
        int slot(long k) {
            int mask = t.length / 2 - 1;
            int i = (int) (mix(k) & mask);
            while (t[2 * i] >= 0 && t[2 * i] != k) i = (i + 1) & mask;
            return 2 * i;
        }

        static long mix(long k) {  // MurmurHash3's 64-bit finaliser
            k ^= k >>> 33;
            k *= 0xff51afd7ed558ccdL;
            k ^= k >>> 33;
            k *= 0xc4ceb9fe1a85ec53L;
            k ^= k >>> 33;
            return k;
        }

        void grow() {
            long[] old = t;
            t = new long[old.length * 2];
            for (int i = 0; i < t.length; i += 2) t[i] = -1;
            size = 0;
            for (int i = 0; i < old.length; i += 2) if (old[i] >= 0) putMin(old[i], old[i + 1]);
        }
    }

    static long ms(Relationship r) {
        Object v = r.getProperty("at", null);
        if (v instanceof ZonedDateTime z) return z.toInstant().toEpochMilli();
        if (v instanceof OffsetDateTime o) return o.toInstant().toEpochMilli();
        throw new IllegalArgumentException("expected a datetime `at` on " + r.getType().name()
                                           + " relationship " + r.getElementId() + ", got " + v);
    }

    /** Code-point order, as Python compares str (and the snapshot engine orders ids). */
    static int compareText(String a, String b) {
        int i = 0, j = 0;
        while (i < a.length() && j < b.length()) {
            int ca = a.codePointAt(i), cb = b.codePointAt(j);
            if (ca != cb) return Integer.compare(ca, cb);
            i += Character.charCount(ca);
            j += Character.charCount(cb);
        }
        return Boolean.compare(i < a.length(), j < b.length());
    }

    /** Ascending with nulls last, as Cypher's ORDER BY. */
    static int compareNullable(String a, String b) {
        if (a == null || b == null) return a == null ? (b == null ? 0 : 1) : -1;
        return compareText(a, b);
    }

    /** The first n values as little-endian int64s, one Bolt byte string. */
    static byte[] int64s(long[] a, int n) {
        ByteBuffer b = ByteBuffer.allocate(8 * n).order(ByteOrder.LITTLE_ENDIAN);
        b.asLongBuffer().put(a, 0, n);
        return b.array();
    }

    static List<String> distinct(List<String> values) {
        return new ArrayList<>(new LinkedHashSet<>(values));
    }

    // ------------------------------------------------------------------ projection

    /** One product's rows of a relationship type: positions lo..hi in the columns. */
    static final class Rows {
        final int[] off;  // by product, length products + 1

        Rows(int[] off) {
            this.off = off;
        }

        int lo(int p) {
            return p < 0 ? 0 : off[p];
        }

        int hi(int p) {
            return p < 0 ? 0 : off[p + 1];
        }
    }

    /** Stable counting sort of rows by product: the row order, and offsets in ``off``. */
    static int[] byProduct(Ints product, int[] off) {
        int np = off.length - 1;
        for (int i = 0; i < product.n; i++) off[product.a[i] + 1]++;
        for (int p = 0; p < np; p++) off[p + 1] += off[p];
        int[] next = Arrays.copyOf(off, np), order = new int[product.n];
        for (int i = 0; i < product.n; i++) order[next[product.a[i]]++] = i;
        return order;
    }

    static int[] take(Ints c, int[] order) {
        int[] out = new int[order.length];
        for (int i = 0; i < order.length; i++) out[i] = c.a[order[i]];
        return out;
    }

    static long[] take(Longs c, int[] order) {
        long[] out = new long[order.length];
        for (int i = 0; i < order.length; i++) out[i] = c.a[order[i]];
        return out;
    }

    /** A product's exposure rows and distinct users per channel and domain. */
    public static final class Mix {
        public String product_id, channel, domain;
        public long exposures, users;
    }

    /**
     * The database as arrays. Users are indexed 0..nUsers-1 in node order; every
     * relationship keeps the users at both ends (both labelled :User) and is grouped by
     * product: the product node for LIKED, PROMOTED, PURCHASED and EXPOSED, the
     * ``product_id`` text for SHARED and GIFTED (as the relationship index finds them).
     * Rows of one product keep relationship id order (the order they were loaded).
     * The answers name a user by its number: its rank in user_id order (code points, as
     * Python orders str; a missing id last), so ordering by number is ordering by id, and
     * numbers from calls on the same projection (the same key) join as integers.
     */
    static final class Projection {
        final String key;
        long buildMs;
        int nUsers, nProducts;
        int[] userOf;  // by node id: the user number, -1 for other nodes
        long[] nodeOf;  // by user: node id
        String[] uid;  // by user: user_id
        int[] number;  // by user: its rank in user_id order, the number the answers carry
        int[] byNumber;  // the user of each number
        int[] friendOff, friends;  // both directions, by user
        final Map<String, Integer> product = new HashMap<>();
        final List<String> productIds = new ArrayList<>();
        final Map<Long, Integer> productOfNode = new HashMap<>();
        boolean[] hasNode;
        Rows likes, promos, shares, gifts, buys;
        int[] likeUser, promoUser, shareFrom, shareTo, giftFrom, giftTo, buyUser;
        int[] bySender;  // each product's shares ordered by sender (then as loaded)
        long[] likeAt, promoAt, shareAt, giftAt, buyAt;
        String[] shareChannel, buyChannel, touchChannel, touchDomain;
        List<List<Mix>> mix;
        long[] exposed;

        Projection(String key) {
            this.key = key;
        }

        int user(long node) {
            return node >= 0 && node < userOf.length ? userOf[(int) node] : -1;
        }

        int productOf(String id) {
            Integer p = product.get(id);
            return p == null ? -1 : p;
        }

        /** The product number of a :Product node's product_id, -1 without such a node. */
        int nodeProduct(String id) {
            int p = productOf(id);
            return p >= 0 && hasNode[p] ? p : -1;
        }

        int number(String id) {
            Integer p = product.get(id);
            if (p == null) {
                p = productIds.size();
                product.put(id, p);
                productIds.add(id);
            }
            return p;
        }
    }

    static final Map<String, Projection> PROJECTIONS = new HashMap<>();

    /** This database's projection as of its last committed transaction, built if needed. */
    Projection projection() {
        GraphDatabaseAPI api = (GraphDatabaseAPI) db;
        long last = api.getDependencyResolver().resolveDependency(TransactionIdStore.class)
                .getLastCommittedTransactionId();
        String name = api.databaseId().toString(), key = name + "@" + last;
        synchronized (PROJECTIONS) {
            Projection g = PROJECTIONS.get(name);
            if (g == null || !g.key.equals(key)) {
                PROJECTIONS.remove(name);  // let the old one go before the new one grows
                long need = estimate(tx), budget = budget();
                if (need > budget) {
                    throw new IllegalStateException(String.format(
                            "diffusion projection refused: it would need about %d MB of heap, "
                            + "over its budget of %d MB (half the server's heap, or "
                            + "DIFFUSION_PROJECTION_MAX_MB); start the server with a larger "
                            + "--heap", need >> 20, budget >> 20));
                }
                g = build(tx, key);
                PROJECTIONS.put(name, g);
            }
            return g;
        }
    }

    /** The projection whose numbers the caller holds; an error if the database changed
     *  since (the numbers would name other users). */
    Projection projection(String key) {
        Projection g = projection();
        if (!g.key.equals(key)) {
            throw new IllegalStateException(PROJECTION_CHANGED + ": user numbers of " + key
                                             + " given, the database is now at " + g.key);
        }
        return g;
    }

    static final String PROJECTION_CHANGED = "diffusion projection changed";

    /** Little-endian int64s, as the answers send them. */
    static long[] longs(byte[] bytes) {
        long[] out = new long[bytes.length / 8];
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).asLongBuffer()
                .get(out);
        return out;
    }

    /** The most heap a projection may take: DIFFUSION_PROJECTION_MAX_MB in the server's
     *  environment, else half the heap. */
    static long budget() {
        String mb = System.getenv("DIFFUSION_PROJECTION_MAX_MB");
        if (mb != null && !mb.isBlank()) {
            try {
                return Long.parseLong(mb.trim()) << 20;
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("DIFFUSION_PROJECTION_MAX_MB must be a "
                                                   + "whole number of megabytes, got " + mb);
            }
        }
        return Runtime.getRuntime().maxMemory() / 2;
    }

    /** Bytes a projection of the database would take at its peak while built, from the
     *  count store (no scan): per user its id and arrays; per relationship its columns, counted
     *  twice where a temporary column is copied into the final one. */
    static long estimate(Transaction tx) {
        KernelTransaction ktx = ((InternalTransaction) tx).kernelTransaction();
        Read read = ktx.dataRead();
        TokenRead tokens = ktx.tokenRead();
        int user = tokens.nodeLabel("User");
        long bytes = user == TokenConstants.NO_TOKEN ? 0 : 128 * read.countsForNode(user);
        RelationshipType[] types = {FRIEND, LIKED, PROMOTED, PURCHASED, SHARED, GIFTED, EXPOSED};
        long[] perRow = {16, 32, 32, 64, 56, 32, 16};
        for (int i = 0; i < types.length; i++) {
            int type = tokens.relationshipType(types[i].name());
            if (type != TokenConstants.NO_TOKEN) {
                bytes += perRow[i] * read.countsForRelationship(TokenConstants.ANY_LABEL, type,
                                                                TokenConstants.ANY_LABEL);
            }
        }
        return bytes;
    }

    /** One String object per distinct channel or domain (millions of rows, a few values). */
    static String word(Map<String, String> words, Object value) {
        return value == null ? null : words.computeIfAbsent((String) value, w -> w);
    }

    static Projection build(Transaction tx, String key) {
        long t0 = System.nanoTime();
        Projection g = new Projection(key);
        Longs nodes = new Longs();
        List<String> ids = new ArrayList<>();
        long top = -1;
        try (ResourceIterator<Node> it = tx.findNodes(USER)) {
            while (it.hasNext()) {
                Node n = it.next();
                nodes.add(n.getId());
                ids.add((String) n.getProperty("user_id", null));
                top = Math.max(top, n.getId());
            }
        }
        if (top >= Integer.MAX_VALUE - 8) {
            throw new IllegalStateException("node id " + top + " beyond an int index");
        }
        g.nUsers = nodes.n;
        g.nodeOf = nodes.array();
        g.uid = ids.toArray(new String[0]);
        g.userOf = new int[(int) (top + 1)];
        Arrays.fill(g.userOf, -1);
        for (int u = 0; u < g.nUsers; u++) g.userOf[(int) g.nodeOf[u]] = u;
        try (ResourceIterator<Node> it = tx.findNodes(PRODUCT)) {
            while (it.hasNext()) {
                Node n = it.next();
                if (n.getProperty("product_id", null) instanceof String id) {
                    g.productOfNode.put(n.getId(), g.number(id));
                }
            }
        }
        int withNodes = g.productIds.size();

        // friendships between users, both directions (a self-friendship once)
        Ints fa = new Ints(), fb = new Ints();
        try (ResourceIterator<Relationship> it = tx.findRelationships(FRIEND)) {
            while (it.hasNext()) {
                Relationship r = it.next();
                int a = g.user(r.getStartNodeId()), b = g.user(r.getEndNodeId());
                if (a >= 0 && b >= 0) {
                    fa.add(a);
                    fb.add(b);
                }
            }
        }
        g.friendOff = new int[g.nUsers + 1];
        for (int i = 0; i < fa.n; i++) {
            g.friendOff[fa.a[i] + 1]++;
            if (fa.a[i] != fb.a[i]) g.friendOff[fb.a[i] + 1]++;
        }
        for (int u = 0; u < g.nUsers; u++) g.friendOff[u + 1] += g.friendOff[u];
        g.friends = new int[g.friendOff[g.nUsers]];
        int[] next = Arrays.copyOf(g.friendOff, g.nUsers);
        for (int i = 0; i < fa.n; i++) {
            g.friends[next[fa.a[i]]++] = fb.a[i];
            if (fa.a[i] != fb.a[i]) g.friends[next[fb.a[i]]++] = fa.a[i];
        }
        fa = fb = null;

        // user -> product node relationships; channels and domains as one String each
        Map<String, String> words = new HashMap<>();
        Ints lp = new Ints(), lu = new Ints(), pp = new Ints(), pu = new Ints(),
             bp = new Ints(), bu = new Ints();
        Longs lt = new Longs(), pt = new Longs(), bt = new Longs();
        List<String> bc = new ArrayList<>();
        for (RelationshipType type : new RelationshipType[] {LIKED, PROMOTED, PURCHASED}) {
            try (ResourceIterator<Relationship> it = tx.findRelationships(type)) {
                while (it.hasNext()) {
                    Relationship r = it.next();
                    int u = g.user(r.getStartNodeId());
                    Integer p = g.productOfNode.get(r.getEndNodeId());
                    if (u < 0 || p == null) continue;
                    if (type == LIKED) {
                        lp.add(p);
                        lu.add(u);
                        lt.add(ms(r));
                    } else if (type == PROMOTED) {
                        pp.add(p);
                        pu.add(u);
                        pt.add(ms(r));
                    } else {
                        bp.add(p);
                        bu.add(u);
                        bt.add(ms(r));
                        bc.add(word(words, r.getProperty("channel", null)));
                    }
                }
            }
        }
        // shares and gifts by their product_id text, between users
        Ints sp = new Ints(), sf = new Ints(), st = new Ints(), gp = new Ints(), gf = new Ints(),
             gt = new Ints();
        Longs sa = new Longs(), ga = new Longs();
        List<String> sc = new ArrayList<>();
        for (RelationshipType type : new RelationshipType[] {SHARED, GIFTED}) {
            try (ResourceIterator<Relationship> it = tx.findRelationships(type)) {
                while (it.hasNext()) {
                    Relationship r = it.next();
                    int a = g.user(r.getStartNodeId()), b = g.user(r.getEndNodeId());
                    Object pid = r.getProperty("product_id", null);
                    if (a < 0 || b < 0 || !(pid instanceof String id)) continue;
                    if (type == SHARED) {
                        sp.add(g.number(id));
                        sf.add(a);
                        st.add(b);
                        sa.add(ms(r));
                        sc.add(word(words, r.getProperty("channel", null)));
                    } else if (a != b) {  // gifts count only between two users
                        gp.add(g.number(id));
                        gf.add(a);
                        gt.add(b);
                        ga.add(ms(r));
                    }
                }
            }
        }
        int np = g.nProducts = g.productIds.size();
        g.hasNode = new boolean[np];
        Arrays.fill(g.hasNode, 0, withNodes, true);
        int[] order;
        g.likes = new Rows(new int[np + 1]);
        order = byProduct(lp, g.likes.off);
        g.likeUser = take(lu, order);
        g.likeAt = take(lt, order);
        g.promos = new Rows(new int[np + 1]);
        order = byProduct(pp, g.promos.off);
        g.promoUser = take(pu, order);
        g.promoAt = take(pt, order);
        g.shares = new Rows(new int[np + 1]);
        order = byProduct(sp, g.shares.off);
        g.shareFrom = take(sf, order);
        g.shareTo = take(st, order);
        g.shareAt = take(sa, order);
        g.shareChannel = new String[order.length];
        for (int i = 0; i < order.length; i++) g.shareChannel[i] = sc.get(order[i]);
        g.bySender = new int[order.length];
        for (int p = 0; p < np; p++) {
            int lo = g.shares.off[p], hi = g.shares.off[p + 1];
            long[] keys = new long[hi - lo];
            for (int i = lo; i < hi; i++) keys[i - lo] = ((long) g.shareFrom[i] << 32) | (i - lo);
            Arrays.sort(keys);
            for (int i = lo; i < hi; i++) g.bySender[i] = lo + (int) (keys[i - lo] & 0xffffffffL);
        }
        g.gifts = new Rows(new int[np + 1]);
        order = byProduct(gp, g.gifts.off);
        g.giftFrom = take(gf, order);
        g.giftTo = take(gt, order);
        g.giftAt = take(ga, order);

        // each user's first purchase of a product (the first loaded among equal times)
        order = byProduct(bp, new int[np + 1]);
        MinMap buyer = new MinMap();  // (product << 32 | user) -> first purchase row
        Ints keep = new Ints();
        for (int i : order) {
            long k = ((long) bp.a[i] << 32) | bu.a[i];
            int j = (int) buyer.get(k, -1);
            if (j < 0) {
                buyer.putMin(k, keep.n);
                keep.add(i);
            } else if (bt.a[i] < bt.a[keep.a[j]]) {
                keep.a[j] = i;
            }
        }
        Ints kp = new Ints();
        for (int j = 0; j < keep.n; j++) kp.add(bp.a[keep.a[j]]);
        g.buys = new Rows(new int[np + 1]);
        byProduct(kp, g.buys.off);  // keep is in product order already
        int nb = keep.n;
        g.buyUser = new int[nb];
        g.buyAt = new long[nb];
        g.buyChannel = new String[nb];
        g.touchChannel = new String[nb];
        g.touchDomain = new String[nb];
        for (int j = 0; j < nb; j++) {
            g.buyUser[j] = bu.a[keep.a[j]];
            g.buyAt[j] = bt.a[keep.a[j]];
            g.buyChannel[j] = bc.get(keep.a[j]);
        }

        // exposures, streamed: the mix counts, exposed users, and each purchase's last touch
        Map<String, Integer> channels = new HashMap<>(), domains = new HashMap<>();
        MinMap pairOf = new MinMap();  // (channel code << 32 | domain code) -> pair
        List<String[]> pairs = new ArrayList<>();
        Longs seen = new Longs();  // product << 43 | (channel, domain) pair << 31 | user
        long[] touchAt = new long[nb];
        BitSet touched = new BitSet(nb);
        try (ResourceIterator<Relationship> it = tx.findRelationships(EXPOSED)) {
            while (it.hasNext()) {
                Relationship r = it.next();
                int u = g.user(r.getStartNodeId());
                Integer p = g.productOfNode.get(r.getEndNodeId());
                if (u < 0 || p == null) continue;
                String ch = word(words, r.getProperty("channel", null)),
                       dom = word(words, r.getProperty("domain", null));
                long cd = ((long) channels.computeIfAbsent(ch, k -> channels.size()) << 32)
                          | domains.computeIfAbsent(dom, k -> domains.size());
                int pair = (int) pairOf.get(cd, -1);
                if (pair < 0) {
                    pair = pairs.size();
                    if (pair >= 1 << 12) {
                        throw new IllegalStateException("more than 4096 (channel, domain) "
                                                        + "pairs among exposures");
                    }
                    pairOf.putMin(cd, pair);
                    pairs.add(new String[] {ch, dom});
                }
                if (p >= 1 << 20) {
                    throw new IllegalStateException("more than 2^20 products with exposures");
                }
                seen.add(((long) p << 43) | ((long) pair << 31) | u);
                int j = (int) buyer.get(((long) p << 32) | u, -1);
                if (j < 0) continue;
                long t = ms(r);
                if (t > g.buyAt[j]) continue;
                // last touch: the latest; among equal times domain, then channel
                if (!touched.get(j) || t > touchAt[j]
                        || (t == touchAt[j] && touchWins(dom, ch, g.touchDomain[j],
                                                        g.touchChannel[j]))) {
                    touched.set(j);
                    touchAt[j] = t;
                    g.touchChannel[j] = ch;
                    g.touchDomain[j] = dom;
                }
            }
        }
        long[] keys = seen.array();
        seen = null;
        Arrays.parallelSort(keys);
        g.mix = new ArrayList<>();
        for (int p = 0; p < np; p++) g.mix.add(new ArrayList<>());
        g.exposed = new long[np];
        int[] lastProduct = new int[g.nUsers];
        Arrays.fill(lastProduct, -1);
        for (int i = 0; i < keys.length; ) {
            long group = keys[i] >>> 31;
            int p = (int) (keys[i] >>> 43), pair = (int) (group & 0xfff);
            int rows = 0, users = 0;
            for (; i < keys.length && keys[i] >>> 31 == group; i++) {
                rows++;
                int u = (int) (keys[i] & 0x7fffffffL);
                if (rows == 1 || keys[i] != keys[i - 1]) users++;
                if (lastProduct[u] != p) {
                    lastProduct[u] = p;
                    g.exposed[p]++;
                }
            }
            Mix m = new Mix();
            m.product_id = g.productIds.get(p);
            m.channel = pairs.get(pair)[0];
            m.domain = pairs.get(pair)[1];
            m.exposures = rows;
            m.users = users;
            g.mix.get(p).add(m);
        }
        Integer[] byId = new Integer[g.nUsers];
        for (int u = 0; u < g.nUsers; u++) byId[u] = u;
        String[] uid = g.uid;
        Arrays.parallelSort(byId, (x, y) -> compareNullable(uid[x], uid[y]));  // stable
        g.number = new int[g.nUsers];
        g.byNumber = new int[g.nUsers];
        for (int i = 0; i < g.nUsers; i++) {
            g.number[byId[i]] = i;
            g.byNumber[i] = byId[i];
        }
        g.buildMs = (System.nanoTime() - t0) / 1_000_000;
        return g;
    }

    /** Among exposures at the same instant: domain, then channel, ascending, nulls last. */
    static boolean touchWins(String dom, String ch, String bestDom, String bestCh) {
        int c = compareNullable(dom, bestDom);
        if (c == 0) c = compareNullable(ch, bestCh);
        return c < 0;
    }

    public static final class Built {
        public String key;
        public long users, friendships, products, build_ms;
    }

    @Procedure(name = "diffusion.projection", mode = Mode.READ)
    @Description("The in-heap projection the other diffusion procedures answer from, built "
            + "now if the database changed since the last one: its key (database and last "
            + "committed transaction), size and build time")
    public Stream<Built> projectionInfo() {
        Projection g = projection();
        Built b = new Built();
        b.key = g.key;
        b.users = g.nUsers;
        b.friendships = g.friends.length;
        b.products = g.nProducts;
        b.build_ms = g.buildMs;
        return Stream.of(b);
    }

    // ------------------------------------------------------------------ influence

    public static final class Endorsements {
        public String key;
        public byte[] product, user, endorser, at;
    }

    @Procedure(name = "diffusion.endorsements", mode = Mode.READ)
    @Description("influence/endorsements on user numbers: the earliest signal per user, product "
            + "and endorser; product indexes the distinct product ids in the order given")
    public Stream<Endorsements> endorsements(@Name("product_ids") List<String> productIds,
                                             @Name("likes") boolean likes,
                                             @Name("shares") boolean shares) {
        Projection g = projection();
        Longs product = new Longs(), user = new Longs(), endorser = new Longs(), at = new Longs();
        // one endorser at a time (its ♡ reaches each friend, its shares each recipient):
        // seen[u] marks the users it already reached, row[u] the row that holds the time
        int[] seen = new int[g.nUsers], row = new int[g.nUsers];
        int mark = 0;
        List<String> products = distinct(productIds);
        for (int pi = 0; pi < products.size(); pi++) {
            int p = likes ? g.nodeProduct(products.get(pi)) : -1;
            int q = shares ? g.productOf(products.get(pi)) : -1;
            MinMap earliest = new MinMap(g.likes.hi(p) - g.likes.lo(p));  // liker -> first ♡
            for (int i = g.likes.lo(p); i < g.likes.hi(p); i++) {
                earliest.putMin(g.likeUser[i], g.likeAt[i]);
            }
            long[] likers = new long[earliest.size];
            int nl = 0;
            for (int i = 0; i < earliest.t.length; i += 2) {
                if (earliest.t[i] >= 0) likers[nl++] = earliest.t[i];
            }
            Arrays.sort(likers);
            int a = 0, b = g.shares.lo(q), end = g.shares.hi(q);  // shares in sender order
            while (a < nl || b < end) {
                int le = a < nl ? (int) likers[a] : Integer.MAX_VALUE;
                int se = b < end ? g.shareFrom[g.bySender[b]] : Integer.MAX_VALUE;
                int e = Math.min(le, se);
                long ec = g.number[e];
                mark++;
                if (le == e) {
                    long t = earliest.get(e, 0);
                    a++;
                    for (int k = g.friendOff[e]; k < g.friendOff[e + 1]; k++) {
                        int u = g.friends[k];
                        if (seen[u] != mark) {
                            seen[u] = mark;
                            row[u] = at.n;
                            product.add(pi);
                            user.add(g.number[u]);
                            endorser.add(ec);
                            at.add(t);
                        }  // a second friendship between the same two users: same time
                    }
                }
                for (; b < end && g.shareFrom[g.bySender[b]] == e; b++) {
                    int i = g.bySender[b], u = g.shareTo[i];
                    if (u == e) continue;
                    if (seen[u] != mark) {
                        seen[u] = mark;
                        row[u] = at.n;
                        product.add(pi);
                        user.add(g.number[u]);
                        endorser.add(ec);
                        at.add(g.shareAt[i]);
                    } else if (g.shareAt[i] < at.a[row[u]]) {
                        at.a[row[u]] = g.shareAt[i];
                    }
                }
            }
        }
        int[] order = byPairThenTime(product, user, at, products.size(), g.nUsers);
        Endorsements out = new Endorsements();
        out.key = g.key;
        out.product = int64s(take(product, order), order.length);
        out.user = int64s(take(user, order), order.length);
        out.endorser = int64s(take(endorser, order), order.length);
        out.at = int64s(take(at, order), order.length);
        return Stream.of(out);
    }

    /** The rows' order by product, user number, then time (equal times as computed): two
     *  stable counting sorts, then insertion sort of each (product, user)'s few rows. The
     *  analyses sort the rows so; given sorted, their sorts take a pass. */
    static int[] byPairThenTime(Longs product, Longs user, Longs at, int nProducts,
                                int nUsers) {
        int n = user.n;
        int[] byUser = new int[n], order = new int[n];
        int[] next = new int[Math.max(nUsers, nProducts) + 1];
        for (int i = 0; i < n; i++) next[(int) user.a[i] + 1]++;
        for (int u = 0; u < nUsers; u++) next[u + 1] += next[u];
        for (int i = 0; i < n; i++) byUser[next[(int) user.a[i]]++] = i;
        Arrays.fill(next, 0);
        for (int i = 0; i < n; i++) next[(int) product.a[i] + 1]++;
        for (int p = 0; p < nProducts; p++) next[p + 1] += next[p];
        for (int k = 0; k < n; k++) {
            int i = byUser[k];
            order[next[(int) product.a[i]]++] = i;
        }
        for (int lo = 0; lo < n; ) {
            int hi = lo + 1;
            while (hi < n && user.a[order[hi]] == user.a[order[lo]]
                   && product.a[order[hi]] == product.a[order[lo]]) hi++;
            for (int k = lo + 1; k < hi; k++) {
                int i = order[k], j = k - 1;
                while (j >= lo && at.a[order[j]] > at.a[i]) {
                    order[j + 1] = order[j];
                    j--;
                }
                order[j + 1] = i;
            }
            lo = hi;
        }
        return order;
    }

    public static final class Adoptions {
        public String key;
        public byte[] product, user, at;
    }

    @Procedure(name = "diffusion.adoptions", mode = Mode.READ)
    @Description("influence/adoptions on user numbers: each user's first purchase (or, without "
            + "purchases, first ♡) of each product")
    public Stream<Adoptions> adoptions(@Name("product_ids") List<String> productIds,
                                       @Name("purchases") boolean purchases) {
        Projection g = projection();
        Longs product = new Longs(), user = new Longs(), at = new Longs();
        List<String> products = distinct(productIds);
        for (int pi = 0; pi < products.size(); pi++) {
            int p = g.nodeProduct(products.get(pi));
            if (p < 0) continue;
            if (purchases) {
                for (int j = g.buys.lo(p); j < g.buys.hi(p); j++) {
                    product.add(pi);
                    user.add(g.number[g.buyUser[j]]);
                    at.add(g.buyAt[j]);
                }
                continue;
            }
            MinMap first = new MinMap();
            for (int i = g.likes.lo(p); i < g.likes.hi(p); i++) {
                first.putMin(g.likeUser[i], g.likeAt[i]);
            }
            for (int i = 0; i < first.t.length; i += 2) {
                if (first.t[i] < 0) continue;
                product.add(pi);
                user.add(g.number[(int) first.t[i]]);
                at.add(first.t[i + 1]);
            }
        }
        Adoptions out = new Adoptions();
        out.key = g.key;
        out.product = product.bytes();
        out.user = user.bytes();
        out.at = at.bytes();
        return Stream.of(out);
    }

    public static final class Ties {
        public String key;
        public byte[] a, b;
    }

    @Procedure(name = "diffusion.endorser_ties", mode = Mode.READ)
    @Description("influence/endorser_ties on user numbers: friendships among the users whose "
            + "numbers (int64s, of projection `key`) are given, each pair once, smaller number "
            + "first")
    public Stream<Ties> endorserTies(@Name("key") String key, @Name("users") byte[] users) {
        Projection g = projection(key);
        long[] numbers = longs(users);
        BitSet inside = new BitSet(g.nUsers);
        for (long n : numbers) {
            if (n >= 0 && n < g.nUsers) inside.set((int) n);
        }
        Longs a = new Longs(), b = new Longs();
        for (int n = inside.nextSetBit(0); n >= 0; n = inside.nextSetBit(n + 1)) {
            int u = g.byNumber[n];
            for (int j = g.friendOff[u]; j < g.friendOff[u + 1]; j++) {
                int m = g.number[g.friends[j]];
                if (n < m && inside.get(m)) {
                    a.add(n);
                    b.add(m);
                }
            }
        }
        Ties out = new Ties();
        out.key = g.key;
        out.a = a.bytes();
        out.b = b.bytes();
        return Stream.of(out);
    }

    public static final class UserIds {
        public String key;
        public byte[] users, user_ends;
    }

    @Procedure(name = "diffusion.user_ids", mode = Mode.READ)
    @Description("The user_id of each user number given (int64s, of projection `key`), in "
            + "the order given: UTF-8 back to back, user_ends where each ends")
    public Stream<UserIds> userIds(@Name("key") String key, @Name("users") byte[] users) {
        Projection g = projection(key);
        long[] numbers = longs(users);
        int[] who = new int[numbers.length];
        for (int i = 0; i < numbers.length; i++) {
            if (numbers[i] < 0 || numbers[i] >= g.nUsers) {
                throw new IllegalArgumentException("no user number " + numbers[i] + " in " + key);
            }
            who[i] = g.byNumber[(int) numbers[i]];
        }
        UserIds out = new UserIds();
        out.key = g.key;
        Text text = new Text(g.uid, who);
        out.users = text.bytes;
        out.user_ends = text.ends;
        return Stream.of(out);
    }

    /** Users' ids as UTF-8 back to back (a missing id as empty text) and where each ends
     *  (int64s): two Bolt values for any number of ids. */
    static final class Text {
        final byte[] bytes, ends;

        Text(String[] uid, int[] users) {
            byte[] text = new byte[16 * users.length + 16];
            Longs end = new Longs();
            int n = 0;
            for (int u : users) {
                String id = uid[u];
                byte[] b = id == null ? new byte[0] : id.getBytes(StandardCharsets.UTF_8);
                if (n + b.length > text.length) text = Arrays.copyOf(text, 2 * (n + b.length));
                System.arraycopy(b, 0, text, n, b.length);
                n += b.length;
                end.add(n);
            }
            bytes = Arrays.copyOf(text, n);
            ends = end.bytes();
        }
    }

    public static final class Friendships {
        public String key;
        public long first;
        public byte[] users, user_ends, degree, friends;
    }

    @Procedure(name = "diffusion.friendships", mode = Mode.READ)
    @Description("project/users and project/friendships as CSR rows on user numbers: users "
            + "in id order, each one's friends as numbers in ascending order (a friendship "
            + "with oneself twice, as both ends), in records of consecutive users holding "
            + "about friends_per_record friends each")
    public Stream<Friendships> friendships(@Name("friends_per_record") long perRecord) {
        Projection g = projection();
        Ints starts = new Ints();  // each record's first user; the last one ends at nUsers
        long arcs = 0;
        for (int i = 0; i < g.nUsers; i++) {
            if (i == 0 || arcs >= perRecord) {
                starts.add(i);
                arcs = 0;
            }
            int u = g.byNumber[i];
            arcs += g.friendOff[u + 1] - g.friendOff[u];
        }
        if (starts.n == 0) starts.add(0);
        starts.add(g.nUsers);
        return IntStream.range(0, starts.n - 1)
                .mapToObj(k -> friendRows(g, starts.a[k], starts.a[k + 1]));
    }

    /** The CSR rows of users numbered lo..hi-1. */
    static Friendships friendRows(Projection g, int lo, int hi) {
        Longs degree = new Longs();
        Ints friends = new Ints();
        int[] users = new int[hi - lo];
        for (int i = lo; i < hi; i++) {
            int u = g.byNumber[i], from = friends.n;
            users[i - lo] = u;
            for (int j = g.friendOff[u]; j < g.friendOff[u + 1]; j++) {
                friends.add(g.number[g.friends[j]]);
                if (g.friends[j] == u) friends.add(i);  // stored once, listed from both ends
            }
            Arrays.sort(friends.a, from, friends.n);
            degree.add(friends.n - from);
        }
        Text text = new Text(g.uid, users);
        Friendships out = new Friendships();
        out.key = g.key;
        out.first = lo;
        out.users = text.bytes;
        out.user_ends = text.ends;
        out.degree = degree.bytes();
        ByteBuffer b = ByteBuffer.allocate(4 * friends.n).order(ByteOrder.LITTLE_ENDIAN);
        b.asIntBuffer().put(friends.a, 0, friends.n);
        out.friends = b.array();
        return out;
    }

    public static final class Roles {
        public String key;
        public byte[] product, user;
        public List<String> role;
    }

    @Procedure(name = "diffusion.roles", mode = Mode.READ)
    @Description("influence/roles on user numbers: promoters and sharers of each product")
    public Stream<Roles> roles(@Name("product_ids") List<String> productIds) {
        Projection g = projection();
        Roles out = new Roles();
        Longs product = new Longs(), user = new Longs();
        out.role = new ArrayList<>();
        List<String> products = distinct(productIds);
        for (int pi = 0; pi < products.size(); pi++) {
            BitSet seen = new BitSet();
            int p = g.nodeProduct(products.get(pi));
            for (int i = g.promos.lo(p); i < g.promos.hi(p); i++) {
                int c = g.number[g.promoUser[i]];
                if (seen.get(c)) continue;
                seen.set(c);
                product.add(pi);
                user.add(c);
                out.role.add("promoter");
            }
            seen.clear();
            int q = g.productOf(products.get(pi));
            for (int i = g.shares.lo(q); i < g.shares.hi(q); i++) {
                int c = g.number[g.shareFrom[i]];
                if (seen.get(c)) continue;
                seen.set(c);
                product.add(pi);
                user.add(c);
                out.role.add("sharer");
            }
        }
        out.key = g.key;
        out.product = product.bytes();
        out.user = user.bytes();
        return Stream.of(out);
    }

    // ------------------------------------------------------------------ domains

    @Procedure(name = "diffusion.exposure_mix", mode = Mode.READ)
    @Description("domains/exposures: exposure rows and distinct exposed users per product, "
            + "channel and domain")
    public Stream<Mix> exposureMix(@Name("product_ids") List<String> productIds) {
        Projection g = projection();
        List<Mix> rows = new ArrayList<>();
        for (String pid : distinct(productIds)) {
            int p = g.nodeProduct(pid);
            if (p >= 0) rows.addAll(g.mix.get(p));
        }
        rows.sort((x, y) -> {
            int c = compareNullable(x.product_id, y.product_id);
            if (c == 0) c = compareNullable(x.channel, y.channel);
            return c != 0 ? c : compareNullable(x.domain, y.domain);
        });
        return rows.stream();
    }

    public static final class Exposed {
        public String product_id;
        public long users;
    }

    @Procedure(name = "diffusion.exposed_users", mode = Mode.READ)
    @Description("domains/exposed_users: distinct exposed users per product")
    public Stream<Exposed> exposedUsers(@Name("product_ids") List<String> productIds) {
        Projection g = projection();
        List<Exposed> rows = new ArrayList<>();
        for (String pid : distinct(productIds)) {
            int p = g.nodeProduct(pid);
            if (p < 0 || g.exposed[p] == 0) continue;
            Exposed x = new Exposed();
            x.product_id = pid;
            x.users = g.exposed[p];
            rows.add(x);
        }
        rows.sort((x, y) -> compareText(x.product_id, y.product_id));
        return rows.stream();
    }

    public static final class Sharers {
        public String product_id, channel;
        public long sharers, shares;
    }

    @Procedure(name = "diffusion.sharers", mode = Mode.READ)
    @Description("domains/sharers: distinct sharers and shares per product and channel")
    public Stream<Sharers> sharers(@Name("product_ids") List<String> productIds) {
        Projection g = projection();
        List<Sharers> rows = new ArrayList<>();
        for (String pid : distinct(productIds)) {
            Map<String, long[]> count = new HashMap<>();  // channel -> shares
            Map<String, BitSet> who = new HashMap<>();
            int q = g.productOf(pid);
            for (int i = g.shares.lo(q); i < g.shares.hi(q); i++) {
                count.computeIfAbsent(g.shareChannel[i], k -> new long[1])[0]++;
                who.computeIfAbsent(g.shareChannel[i], k -> new BitSet()).set(g.shareFrom[i]);
            }
            for (Map.Entry<String, long[]> c : count.entrySet()) {
                Sharers s = new Sharers();
                s.product_id = pid;
                s.channel = c.getKey();
                s.sharers = who.get(c.getKey()).cardinality();
                s.shares = c.getValue()[0];
                rows.add(s);
            }
        }
        rows.sort((x, y) -> {
            int c = compareNullable(x.product_id, y.product_id);
            return c != 0 ? c : compareNullable(x.channel, y.channel);
        });
        return rows.stream();
    }

    public static final class Touches {
        public String key;
        public byte[] product, user, at;
        public List<String> channel, exposure_channel, exposure_domain;
        public byte[] endorsed;
    }

    @Procedure(name = "diffusion.adoption_touches", mode = Mode.READ)
    @Description("domains/adoptions on user numbers: each first purchase, its last-touch exposure "
            + "at or before it, and whether a friend's ♡ or a share preceded it in the window")
    public Stream<Touches> adoptionTouches(@Name("product_ids") List<String> productIds,
                                           @Name("window_ms") long windowMs) {
        Projection g = projection();
        Touches out = new Touches();
        Longs product = new Longs(), user = new Longs(), at = new Longs(), touched = new Longs();
        out.channel = new ArrayList<>();
        out.exposure_channel = new ArrayList<>();
        out.exposure_domain = new ArrayList<>();
        int[] buyOf = new int[g.nUsers];  // by user: this product's first purchase row
        Arrays.fill(buyOf, -1);
        List<String> products = distinct(productIds);
        for (int pi = 0; pi < products.size(); pi++) {
            String pid = products.get(pi);
            int p = g.nodeProduct(pid);
            if (p < 0) continue;
            int lo = g.buys.lo(p), hi = g.buys.hi(p);
            for (int j = lo; j < hi; j++) buyOf[g.buyUser[j]] = j;
            BitSet endorsed = new BitSet();
            // a friend's ♡ within the window before the purchase
            for (int i = g.likes.lo(p); i < g.likes.hi(p); i++) {
                int f = g.likeUser[i];
                long t = g.likeAt[i];
                for (int k = g.friendOff[f]; k < g.friendOff[f + 1]; k++) {
                    int j = buyOf[g.friends[k]];
                    if (j >= 0 && g.buyAt[j] - windowMs <= t && t <= g.buyAt[j]) {
                        endorsed.set(j - lo);
                    }
                }
            }
            // or a share from another user
            int q = g.productOf(pid);
            for (int i = g.shares.lo(q); i < g.shares.hi(q); i++) {
                int j = buyOf[g.shareTo[i]];
                long t = g.shareAt[i];
                if (j >= 0 && g.shareFrom[i] != g.shareTo[i]
                        && g.buyAt[j] - windowMs <= t && t <= g.buyAt[j]) {
                    endorsed.set(j - lo);
                }
            }
            for (int j = lo; j < hi; j++) {
                buyOf[g.buyUser[j]] = -1;
                product.add(pi);
                user.add(g.number[g.buyUser[j]]);
                at.add(g.buyAt[j]);
                out.channel.add(g.buyChannel[j]);
                out.exposure_channel.add(g.touchChannel[j]);
                out.exposure_domain.add(g.touchDomain[j]);
                touched.add(endorsed.get(j - lo) ? 1 : 0);
            }
        }
        out.key = g.key;
        out.product = product.bytes();
        out.user = user.bytes();
        out.at = at.bytes();
        out.endorsed = touched.bytes();
        return Stream.of(out);
    }

    // ------------------------------------------------------------------ cascades

    public static final class TreeEdges {
        public String key;
        public byte[] product, parent, child, at, incoming;
        public List<String> kind;
    }

    @Procedure(name = "diffusion.tree_edges", mode = Mode.READ)
    @Description("cascades/tree_edges on user numbers: each recipient's earliest incoming share or "
            + "gift, unless a promoter or already a sender before it")
    public Stream<TreeEdges> treeEdges(@Name("product_ids") List<String> productIds) {
        Projection g = projection();
        TreeEdges out = new TreeEdges();
        Longs product = new Longs(), parent = new Longs(), child = new Longs(), at = new Longs(),
              incoming = new Longs();
        out.kind = new ArrayList<>();
        int[] best = new int[g.nUsers], received = new int[g.nUsers];
        long[] firstSent = new long[g.nUsers];
        Arrays.fill(best, -1);
        Arrays.fill(firstSent, Long.MAX_VALUE);
        BitSet promoter = new BitSet();
        List<String> products = distinct(productIds);
        for (int pi = 0; pi < products.size(); pi++) {
            String pid = products.get(pi);
            int p = g.nodeProduct(pid);
            if (p < 0) continue;
            int q = g.productOf(pid);
            // edge e: shares first (e < nShares), then gifts
            int s0 = g.shares.lo(q), nShares = g.shares.hi(q) - s0, g0 = g.gifts.lo(q);
            int nEdges = nShares + g.gifts.hi(q) - g0;
            Ints recipients = new Ints(), senders = new Ints();
            for (int e = 0; e < nEdges; e++) {
                boolean share = e < nShares;
                int i = share ? s0 + e : g0 + e - nShares;
                int s = share ? g.shareFrom[i] : g.giftFrom[i];
                int u = share ? g.shareTo[i] : g.giftTo[i];
                if (s == u) continue;
                long t = share ? g.shareAt[i] : g.giftAt[i];
                if (received[u]++ == 0) recipients.add(u);
                if (firstSent[s] == Long.MAX_VALUE) senders.add(s);
                firstSent[s] = Math.min(firstSent[s], t);
                int j = best[u];
                if (j < 0 || t < edgeAt(g, j, nShares, s0, g0)
                        || (t == edgeAt(g, j, nShares, s0, g0)
                            && earlier(g, s, share, edgeFrom(g, j, nShares, s0, g0),
                                       j < nShares))) {
                    best[u] = e;
                }
            }
            for (int i = g.promos.lo(p); i < g.promos.hi(p); i++) promoter.set(g.promoUser[i]);
            for (int k = 0; k < recipients.n; k++) {
                int u = recipients.a[k], j = best[u];
                long t = edgeAt(g, j, nShares, s0, g0);
                if (!promoter.get(u) && firstSent[u] >= t) {
                    product.add(pi);
                    parent.add(g.number[edgeFrom(g, j, nShares, s0, g0)]);
                    child.add(g.number[u]);
                    at.add(t);
                    incoming.add(received[u]);
                    out.kind.add(j < nShares ? "share" : "gift");
                }
            }
            for (int k = 0; k < recipients.n; k++) {
                best[recipients.a[k]] = -1;
                received[recipients.a[k]] = 0;
            }
            for (int k = 0; k < senders.n; k++) firstSent[senders.a[k]] = Long.MAX_VALUE;
            promoter.clear();
        }
        out.key = g.key;
        out.product = product.bytes();
        out.parent = parent.bytes();
        out.child = child.bytes();
        out.at = at.bytes();
        out.incoming = incoming.bytes();
        return Stream.of(out);
    }

    static long edgeAt(Projection g, int e, int nShares, int s0, int g0) {
        return e < nShares ? g.shareAt[s0 + e] : g.giftAt[g0 + e - nShares];
    }

    static int edgeFrom(Projection g, int e, int nShares, int s0, int g0) {
        return e < nShares ? g.shareFrom[s0 + e] : g.giftFrom[g0 + e - nShares];
    }

    /** Between two edges at the same instant: ORDER BY parent user_id, kind. */
    static boolean earlier(Projection g, int from, boolean share, int bestFrom,
                           boolean bestShare) {
        int c = compareNullable(g.uid[from], g.uid[bestFrom]);
        return c != 0 ? c < 0 : compareText(share ? "share" : "gift",
                                            bestShare ? "share" : "gift") < 0;
    }

    public static final class Members {
        public String key;
        public byte[] product, user, received;
        public byte[] promoted, promoted_at;
    }

    @Procedure(name = "diffusion.members", mode = Mode.READ)
    @Description("cascades/members on user numbers: promoters (first promotion), senders and "
            + "recipients of shares and gifts with the shares and gifts each received; "
            + "promoted_at is 0 where promoted is false")
    public Stream<Members> members(@Name("product_ids") List<String> productIds) {
        Projection g = projection();
        Members out = new Members();
        Longs product = new Longs(), user = new Longs(), received = new Longs(),
              promotedAt = new Longs(), isPromoter = new Longs();
        int[] slot = new int[g.nUsers];
        Arrays.fill(slot, -1);
        List<String> products = distinct(productIds);
        for (int pi = 0; pi < products.size(); pi++) {
            String pid = products.get(pi);
            Ints nodes = new Ints();
            Longs got = new Longs(), promoted = new Longs();
            int p = g.nodeProduct(pid), q = g.productOf(pid);
            for (int i = g.promos.lo(p); i < g.promos.hi(p); i++) {
                int m = member(g.promoUser[i], slot, nodes, got, promoted);
                promoted.a[m] = Math.min(promoted.a[m], g.promoAt[i]);
            }
            for (int i = g.shares.lo(q); i < g.shares.hi(q); i++) {
                if (g.shareFrom[i] == g.shareTo[i]) continue;
                member(g.shareFrom[i], slot, nodes, got, promoted);
                int j = member(g.shareTo[i], slot, nodes, got, promoted);  // may grow got.a
                got.a[j]++;
            }
            for (int i = g.gifts.lo(q); i < g.gifts.hi(q); i++) {
                member(g.giftFrom[i], slot, nodes, got, promoted);
                int j = member(g.giftTo[i], slot, nodes, got, promoted);
                got.a[j]++;
            }
            for (int i = 0; i < nodes.n; i++) {
                long t = promoted.a[i];
                product.add(pi);
                user.add(g.number[nodes.a[i]]);
                received.add(got.a[i]);
                isPromoter.add(t != Long.MAX_VALUE ? 1 : 0);
                promotedAt.add(t == Long.MAX_VALUE ? 0 : t);
                slot[nodes.a[i]] = -1;
            }
        }
        out.key = g.key;
        out.product = product.bytes();
        out.user = user.bytes();
        out.received = received.bytes();
        out.promoted = isPromoter.bytes();
        out.promoted_at = promotedAt.bytes();
        return Stream.of(out);
    }

    /** The user's position among this product's members (added on first sight). */
    static int member(int u, int[] slot, Ints nodes, Longs got, Longs promoted) {
        if (slot[u] < 0) {
            slot[u] = nodes.n;
            nodes.add(u);
            got.add(0);
            promoted.add(Long.MAX_VALUE);
        }
        return slot[u];
    }
}
