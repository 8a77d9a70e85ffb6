// diffusion's server procedures: the per-product reads of the influence, domain and
// cascade analyses, answered with the Java core API instead of Cypher's interpreted
// runtime. Each procedure returns exactly the rows of the Cypher module of the same name
// (cypher/influence, cypher/domains, cypher/cascades; tests compare them), as columns.
// User ids travel once each: `users` lists them and the row columns hold positions in
// it (codes), so a million rows do not carry a million id strings.
//
// `diffusion neo4j start` compiles this file into a plugin jar (see analyzer/server).
import java.time.OffsetDateTime;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

import org.neo4j.graphdb.Direction;
import org.neo4j.graphdb.Label;
import org.neo4j.graphdb.Node;
import org.neo4j.graphdb.Relationship;
import org.neo4j.graphdb.RelationshipType;
import org.neo4j.graphdb.ResourceIterator;
import org.neo4j.graphdb.Transaction;
import org.neo4j.procedure.Context;
import org.neo4j.procedure.Description;
import org.neo4j.procedure.Mode;
import org.neo4j.procedure.Name;
import org.neo4j.procedure.Procedure;

@SuppressWarnings("deprecation")  // Node.getId: a per-call key, never returned or stored
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

    // ------------------------------------------------------------------ helpers

    /** A long per node, indexed by node id (dense in the record store), grown on demand. */
    static final class PerNode {
        long[] a;
        final long none;

        PerNode(long none) {
            this.none = none;
            a = new long[1 << 10];
            Arrays.fill(a, none);
        }

        static int index(long id) {
            if (id < 0 || id >= Integer.MAX_VALUE - 8) {
                throw new IllegalStateException("node id " + id + " beyond an int index");
            }
            return (int) id;
        }

        long get(long id) {
            return id < a.length ? a[index(id)] : none;
        }

        void set(long id, long v) {
            int i = index(id);
            if (i >= a.length) {
                int old = a.length;
                a = Arrays.copyOf(a, (int) Math.min(Integer.MAX_VALUE - 8,
                                                    Math.max(2L * old, i + 1L)));
                Arrays.fill(a, old, a.length, none);
            }
            a[i] = v;
        }
    }

    /** User nodes numbered in order of first sight; ids read once per node. */
    static final class Codes {
        final PerNode code = new PerNode(-1);
        final List<String> ids = new ArrayList<>();

        int of(Node n) {
            long c = code.get(n.getId());
            if (c < 0) {
                c = ids.size();
                code.set(n.getId(), c);
                ids.add((String) n.getProperty("user_id", null));
            }
            return (int) c;
        }
    }

    /** A growable long column. */
    static final class Longs {
        long[] a = new long[16];
        int n;

        void add(long v) {
            if (n == a.length) a = Arrays.copyOf(a, n * 2);
            a[n++] = v;
        }

        List<Long> list() {
            List<Long> out = new ArrayList<>(n);
            for (int i = 0; i < n; i++) out.add(a[i]);
            return out;
        }
    }

    /** Open addressing long -> long map keeping the minimum value per key. */
    static final class MinMap {
        long[] keys = new long[1 << 12];
        long[] vals = new long[1 << 12];
        boolean[] used = new boolean[1 << 12];
        int size;

        void putMin(long k, long v) {
            if (2 * (size + 1) > keys.length) grow();
            int i = slot(k);
            if (!used[i]) {
                used[i] = true;
                keys[i] = k;
                vals[i] = v;
                size++;
            } else if (v < vals[i]) {
                vals[i] = v;
            }
        }

        int slot(long k) {
            int mask = keys.length - 1;
            int i = (int) (mix(k) & mask);
            while (used[i] && keys[i] != k) i = (i + 1) & mask;
            return i;
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
            long[] ok = keys, ov = vals;
            boolean[] ou = used;
            keys = new long[ok.length * 2];
            vals = new long[ok.length * 2];
            used = new boolean[ok.length * 2];
            size = 0;
            for (int i = 0; i < ok.length; i++) if (ou[i]) putMin(ok[i], ov[i]);
        }
    }

    static long ms(Object v) {
        if (v instanceof ZonedDateTime z) return z.toInstant().toEpochMilli();
        if (v instanceof OffsetDateTime o) return o.toInstant().toEpochMilli();
        throw new IllegalArgumentException("expected a datetime `at`, got " + v);
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

    static List<String> distinct(List<String> values) {
        return new ArrayList<>(new LinkedHashSet<>(values));
    }

    Node product(String id) {
        return tx.findNode(PRODUCT, "product_id", id);
    }

    /** Shares or gifts carrying a product id, between two different users. */
    List<Relationship> edges(RelationshipType type, String productId) {
        return edges(type, productId, false);
    }

    /** Shares or gifts carrying a product id between users; a user's to themself too with
     *  ``selfToo`` (roles and sharers count them, as their Cypher modules do). */
    List<Relationship> edges(RelationshipType type, String productId, boolean selfToo) {
        List<Relationship> out = new ArrayList<>();
        try (ResourceIterator<Relationship> it = tx.findRelationships(type, "product_id",
                                                                      productId)) {
            while (it.hasNext()) {
                Relationship r = it.next();
                Node s = r.getStartNode(), u = r.getEndNode();
                if ((selfToo || s.getId() != u.getId()) && s.hasLabel(USER) && u.hasLabel(USER)) {
                    out.add(r);
                }
            }
        }
        return out;
    }

    // ------------------------------------------------------------------ influence

    public static final class Endorsements {
        public List<String> users;
        public List<Long> product, user, endorser, at;
    }

    @Procedure(name = "diffusion.endorsements", mode = Mode.READ)
    @Description("influence/endorsements as codes: the earliest signal per user, product "
            + "and endorser; product indexes the distinct product ids in the order given")
    public Stream<Endorsements> endorsements(@Name("product_ids") List<String> productIds,
                                             @Name("likes") boolean likes,
                                             @Name("shares") boolean shares) {
        Codes codes = new Codes();
        Longs product = new Longs(), user = new Longs(), endorser = new Longs(), at = new Longs();
        List<String> products = distinct(productIds);
        for (int pi = 0; pi < products.size(); pi++) {
            MinMap first = new MinMap();
            Node p = likes ? product(products.get(pi)) : null;
            if (p != null) {
                for (Relationship l : p.getRelationships(Direction.INCOMING, LIKED)) {
                    Node e = l.getStartNode();
                    if (!e.hasLabel(USER)) continue;
                    long t = ms(l.getProperty("at"));
                    long ec = codes.of(e);
                    for (Relationship f : e.getRelationships(FRIEND)) {
                        Node u = f.getOtherNode(e);
                        if (u.hasLabel(USER)) first.putMin(((long) codes.of(u) << 32) | ec, t);
                    }
                }
            }
            if (shares) {
                for (Relationship s : edges(SHARED, products.get(pi))) {
                    long uc = codes.of(s.getEndNode()), ec = codes.of(s.getStartNode());
                    first.putMin((uc << 32) | ec, ms(s.getProperty("at")));
                }
            }
            for (int i = 0; i < first.keys.length; i++) {
                if (!first.used[i]) continue;
                product.add(pi);
                user.add(first.keys[i] >>> 32);
                endorser.add(first.keys[i] & 0xffffffffL);
                at.add(first.vals[i]);
            }
        }
        Endorsements out = new Endorsements();
        out.users = codes.ids;
        out.product = product.list();
        out.user = user.list();
        out.endorser = endorser.list();
        out.at = at.list();
        return Stream.of(out);
    }

    public static final class Ties {
        public List<String> users;
        public List<Long> a, b;
    }

    @Procedure(name = "diffusion.endorser_ties", mode = Mode.READ)
    @Description("influence/endorser_ties as codes: friendships among the given users, "
            + "each pair once")
    public Stream<Ties> endorserTies(@Name("user_ids") List<String> userIds) {
        Codes codes = new Codes();
        List<Node> nodes = new ArrayList<>();
        Set<Long> inside = new HashSet<>();
        for (String id : distinct(userIds)) {
            Node n = tx.findNode(USER, "user_id", id);
            if (n != null && inside.add(n.getId())) nodes.add(n);
        }
        Longs a = new Longs(), b = new Longs();
        for (Node n : nodes) {
            for (Relationship f : n.getRelationships(FRIEND)) {
                Node m = f.getOtherNode(n);
                if (n.getId() < m.getId() && inside.contains(m.getId())) {
                    a.add(codes.of(n));
                    b.add(codes.of(m));
                }
            }
        }
        Ties out = new Ties();
        out.users = codes.ids;
        out.a = a.list();
        out.b = b.list();
        return Stream.of(out);
    }

    public static final class Roles {
        public List<String> users;
        public List<Long> product, user;
        public List<String> role;
    }

    @Procedure(name = "diffusion.roles", mode = Mode.READ)
    @Description("influence/roles as codes: promoters and sharers of each product")
    public Stream<Roles> roles(@Name("product_ids") List<String> productIds) {
        Codes codes = new Codes();
        Roles out = new Roles();
        Longs product = new Longs(), user = new Longs();
        out.role = new ArrayList<>();
        List<String> products = distinct(productIds);
        for (int pi = 0; pi < products.size(); pi++) {
            Set<Integer> promoters = new LinkedHashSet<>(), sharers = new LinkedHashSet<>();
            Node p = product(products.get(pi));
            if (p != null) {
                for (Relationship r : p.getRelationships(Direction.INCOMING, PROMOTED)) {
                    if (r.getStartNode().hasLabel(USER)) promoters.add(codes.of(r.getStartNode()));
                }
            }
            for (Relationship r : edges(SHARED, products.get(pi), true)) {
                sharers.add(codes.of(r.getStartNode()));
            }
            for (int c : promoters) {
                product.add(pi);
                user.add(c);
                out.role.add("promoter");
            }
            for (int c : sharers) {
                product.add(pi);
                user.add(c);
                out.role.add("sharer");
            }
        }
        out.users = codes.ids;
        out.product = product.list();
        out.user = user.list();
        return Stream.of(out);
    }

    // ------------------------------------------------------------------ domains

    static final class Group {
        long rows;
        final BitSet users = new BitSet();
    }

    public static final class Mix {
        public String product_id, channel, domain;
        public long exposures, users;
    }

    @Procedure(name = "diffusion.exposure_mix", mode = Mode.READ)
    @Description("domains/exposures: exposure rows and distinct exposed users per product, "
            + "channel and domain")
    public Stream<Mix> exposureMix(@Name("product_ids") List<String> productIds) {
        List<Mix> rows = new ArrayList<>();
        for (String pid : distinct(productIds)) {
            Node p = product(pid);
            if (p == null) continue;
            // channel -> domain -> (exposures, the users as a bit per node id)
            Map<String, Map<String, Group>> groups = new HashMap<>();
            for (Relationship e : p.getRelationships(Direction.INCOMING, EXPOSED)) {
                Node u = e.getStartNode();
                if (!u.hasLabel(USER)) continue;
                Group g = groups.computeIfAbsent((String) e.getProperty("channel", null),
                                                 k -> new HashMap<>())
                        .computeIfAbsent((String) e.getProperty("domain", null), k -> new Group());
                g.rows++;
                g.users.set(PerNode.index(u.getId()));
            }
            for (Map.Entry<String, Map<String, Group>> c : groups.entrySet()) {
                for (Map.Entry<String, Group> d : c.getValue().entrySet()) {
                    Mix m = new Mix();
                    m.product_id = pid;
                    m.channel = c.getKey();
                    m.domain = d.getKey();
                    m.exposures = d.getValue().rows;
                    m.users = d.getValue().users.cardinality();
                    rows.add(m);
                }
            }
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
        List<Exposed> rows = new ArrayList<>();
        for (String pid : distinct(productIds)) {
            Node p = product(pid);
            if (p == null) continue;
            BitSet users = new BitSet();
            for (Relationship e : p.getRelationships(Direction.INCOMING, EXPOSED)) {
                Node u = e.getStartNode();
                if (u.hasLabel(USER)) users.set(PerNode.index(u.getId()));
            }
            if (users.isEmpty()) continue;
            Exposed x = new Exposed();
            x.product_id = pid;
            x.users = users.cardinality();
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
        List<Sharers> rows = new ArrayList<>();
        for (String pid : distinct(productIds)) {
            Map<String, Group> count = new HashMap<>();
            for (Relationship r : edges(SHARED, pid, true)) {
                Group g = count.computeIfAbsent((String) r.getProperty("channel", null),
                                                k -> new Group());
                g.rows++;
                g.users.set(PerNode.index(r.getStartNodeId()));
            }
            for (Map.Entry<String, Group> g : count.entrySet()) {
                Sharers s = new Sharers();
                s.product_id = pid;
                s.channel = g.getKey();
                s.sharers = g.getValue().users.cardinality();
                s.shares = g.getValue().rows;
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
        public List<String> users;
        public List<Long> product, user, at;
        public List<String> channel, exposure_channel, exposure_domain;
        public List<Boolean> endorsed;
    }

    @Procedure(name = "diffusion.adoption_touches", mode = Mode.READ)
    @Description("domains/adoptions as codes: each first purchase, its last-touch exposure "
            + "at or before it, and whether a friend's ♡ or a share preceded it in the window")
    public Stream<Touches> adoptionTouches(@Name("product_ids") List<String> productIds,
                                           @Name("window_ms") long windowMs) {
        Codes codes = new Codes();
        Touches out = new Touches();
        Longs product = new Longs(), user = new Longs(), at = new Longs();
        out.channel = new ArrayList<>();
        out.exposure_channel = new ArrayList<>();
        out.exposure_domain = new ArrayList<>();
        out.endorsed = new ArrayList<>();
        List<String> products = distinct(productIds);
        for (int pi = 0; pi < products.size(); pi++) {
            String pid = products.get(pi);
            Node p = product(pid);
            if (p == null) continue;
            // each user's first purchase (the first one met among equal times)
            Map<Long, Relationship> firstBuy = new HashMap<>();
            PerNode firstAt = new PerNode(Long.MAX_VALUE);
            for (Relationship b : p.getRelationships(Direction.INCOMING, PURCHASED)) {
                Node u = b.getStartNode();
                if (!u.hasLabel(USER)) continue;
                long t = ms(b.getProperty("at"));
                if (t < firstAt.get(u.getId())) {
                    firstAt.set(u.getId(), t);
                    firstBuy.put(u.getId(), b);
                }
            }
            // the product's likes by liker, read once from the product's side, so a buyer's
            // friends are looked up here instead of walking each friend's relationships
            Map<Long, Longs> likedAt = new HashMap<>();
            for (Relationship l : p.getRelationships(Direction.INCOMING, LIKED)) {
                if (l.getStartNode().hasLabel(USER)) {
                    likedAt.computeIfAbsent(l.getStartNode().getId(), k -> new Longs())
                           .add(ms(l.getProperty("at")));
                }
            }
            for (Relationship b : firstBuy.values()) {
                Node u = b.getStartNode();
                long t = firstAt.get(u.getId()), from = t - windowMs;
                Relationship last = null;
                long lastAt = 0;
                boolean endorsed = false;
                for (Relationship r : u.getRelationships()) {  // one walk over u's chain
                    if (r.isType(EXPOSED)) {
                        if (r.getStartNode().getId() != u.getId()
                                || r.getEndNode().getId() != p.getId()) continue;
                        long et = ms(r.getProperty("at"));
                        if (et > t) continue;
                        if (last == null || et > lastAt || (et == lastAt && touchWins(r, last))) {
                            last = r;
                            lastAt = et;
                        }
                    } else if (endorsed) {
                        continue;
                    } else if (r.isType(FRIEND)) {
                        Longs times = likedAt.get(r.getOtherNodeId(u.getId()));
                        if (times == null || !r.getOtherNode(u).hasLabel(USER)) continue;
                        for (int i = 0; i < times.n && !endorsed; i++) {
                            endorsed = from <= times.a[i] && times.a[i] <= t;
                        }
                    } else if (r.isType(SHARED) && r.getEndNode().getId() == u.getId()) {
                        Node e = r.getStartNode();
                        if (e.getId() == u.getId() || !pid.equals(r.getProperty("product_id", null))
                                || !e.hasLabel(USER)) continue;
                        long st = ms(r.getProperty("at"));
                        endorsed = from <= st && st <= t;
                    }
                }
                product.add(pi);
                user.add(codes.of(u));
                at.add(t);
                out.channel.add((String) b.getProperty("channel", null));
                out.exposure_channel.add(last == null ? null
                                         : (String) last.getProperty("channel", null));
                out.exposure_domain.add(last == null ? null
                                        : (String) last.getProperty("domain", null));
                out.endorsed.add(endorsed);
            }
        }
        out.users = codes.ids;
        out.product = product.list();
        out.user = user.list();
        out.at = at.list();
        return Stream.of(out);
    }

    /** Among exposures at the same instant: domain, then channel, ascending, nulls last. */
    static boolean touchWins(Relationship e, Relationship best) {
        int c = compareNullable((String) e.getProperty("domain", null),
                                (String) best.getProperty("domain", null));
        if (c == 0) c = compareNullable((String) e.getProperty("channel", null),
                                        (String) best.getProperty("channel", null));
        return c < 0;
    }

    // ------------------------------------------------------------------ cascades

    public static final class TreeEdges {
        public List<String> users;
        public List<Long> product, parent, child, at, incoming;
        public List<String> kind;
    }

    @Procedure(name = "diffusion.tree_edges", mode = Mode.READ)
    @Description("cascades/tree_edges as codes: each recipient's earliest incoming share or "
            + "gift, unless a promoter or already a sender before it")
    public Stream<TreeEdges> treeEdges(@Name("product_ids") List<String> productIds) {
        Codes codes = new Codes();
        TreeEdges out = new TreeEdges();
        Longs product = new Longs(), parent = new Longs(), child = new Longs(), at = new Longs(),
              incoming = new Longs();
        out.kind = new ArrayList<>();
        List<String> products = distinct(productIds);
        for (int pi = 0; pi < products.size(); pi++) {
            String pid = products.get(pi);
            Node p = product(pid);
            if (p == null) continue;
            List<Relationship> edges = new ArrayList<>();
            List<String> kinds = new ArrayList<>();
            Longs times = new Longs(), recipients = new Longs();
            PerNode best = new PerNode(-1), received = new PerNode(0);
            PerNode firstSent = new PerNode(Long.MAX_VALUE);
            for (String kind : new String[] {"share", "gift"}) {
                for (Relationship r : edges(kind.equals("share") ? SHARED : GIFTED, pid)) {
                    long u = r.getEndNodeId(), t = ms(r.getProperty("at"));
                    int i = edges.size();
                    edges.add(r);
                    kinds.add(kind);
                    times.add(t);
                    if (received.get(u) == 0) recipients.add(u);
                    received.set(u, received.get(u) + 1);
                    long s = r.getStartNodeId();
                    firstSent.set(s, Math.min(t, firstSent.get(s)));
                    int j = (int) best.get(u);
                    if (j < 0 || t < times.a[j]
                            || (t == times.a[j] && earlier(edges.get(i), kind, edges.get(j),
                                                           kinds.get(j)))) {
                        best.set(u, i);
                    }
                }
            }
            PerNode promoter = new PerNode(0);
            for (Relationship r : p.getRelationships(Direction.INCOMING, PROMOTED)) {
                promoter.set(r.getStartNodeId(), 1);
            }
            for (int k = 0; k < recipients.n; k++) {
                long u = recipients.a[k];
                int j = (int) best.get(u);
                long t = times.a[j];
                if (promoter.get(u) == 1 || firstSent.get(u) < t) continue;
                Relationship r = edges.get(j);
                product.add(pi);
                parent.add(codes.of(r.getStartNode()));
                child.add(codes.of(r.getEndNode()));
                at.add(t);
                incoming.add(received.get(u));
                out.kind.add(kinds.get(j));
            }
        }
        out.users = codes.ids;
        out.product = product.list();
        out.parent = parent.list();
        out.child = child.list();
        out.at = at.list();
        out.incoming = incoming.list();
        return Stream.of(out);
    }

    /** Between two edges at the same instant: ORDER BY parent user_id, kind. */
    static boolean earlier(Relationship r, String kind, Relationship best, String bestKind) {
        int c = compareNullable((String) r.getStartNode().getProperty("user_id", null),
                                (String) best.getStartNode().getProperty("user_id", null));
        return c != 0 ? c < 0 : compareText(kind, bestKind) < 0;
    }

    /** The member's position in ``nodes`` (added on first sight, with 0 received). */
    static int member(Node n, List<Node> nodes, PerNode slot, Longs got) {
        long i = slot.get(n.getId());
        if (i < 0) {
            i = nodes.size();
            slot.set(n.getId(), i);
            nodes.add(n);
            got.add(0);
        }
        return (int) i;
    }

    public static final class Members {
        public List<String> users;
        public List<Long> product, user, received;
        public List<Boolean> promoted;
        public List<Long> promoted_at;
    }

    @Procedure(name = "diffusion.members", mode = Mode.READ)
    @Description("cascades/members as codes: promoters (first promotion), senders and "
            + "recipients of shares and gifts with the shares and gifts each received; "
            + "promoted_at is 0 where promoted is false")
    public Stream<Members> members(@Name("product_ids") List<String> productIds) {
        Codes codes = new Codes();
        Members out = new Members();
        Longs product = new Longs(), user = new Longs(), received = new Longs(),
              promotedAt = new Longs();
        out.promoted = new ArrayList<>();
        List<String> products = distinct(productIds);
        for (int pi = 0; pi < products.size(); pi++) {
            String pid = products.get(pi);
            List<Node> nodes = new ArrayList<>();
            PerNode slot = new PerNode(-1), promoted = new PerNode(Long.MAX_VALUE);
            Longs got = new Longs();
            Node p = product(pid);
            if (p != null) {
                for (Relationship r : p.getRelationships(Direction.INCOMING, PROMOTED)) {
                    Node u = r.getStartNode();
                    if (!u.hasLabel(USER)) continue;
                    member(u, nodes, slot, got);
                    promoted.set(u.getId(), Math.min(promoted.get(u.getId()),
                                                     ms(r.getProperty("at"))));
                }
            }
            for (RelationshipType type : new RelationshipType[] {SHARED, GIFTED}) {
                for (Relationship r : edges(type, pid)) {
                    member(r.getStartNode(), nodes, slot, got);
                    int j = member(r.getEndNode(), nodes, slot, got);  // may grow got.a
                    got.a[j]++;
                }
            }
            for (int i = 0; i < nodes.size(); i++) {
                long t = promoted.get(nodes.get(i).getId());
                product.add(pi);
                user.add(codes.of(nodes.get(i)));
                received.add(got.a[i]);
                out.promoted.add(t != Long.MAX_VALUE);
                promotedAt.add(t == Long.MAX_VALUE ? 0 : t);
            }
        }
        out.users = codes.ids;
        out.product = product.list();
        out.user = user.list();
        out.received = received.list();
        out.promoted_at = promotedAt.list();
        return Stream.of(out);
    }
}
