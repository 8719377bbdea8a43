import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

// Oracle for connectjson's javaHashMapOrder: for each input line of
// tab-separated keys, put them in that order into new HashMap<>() and
// print the iteration order, tab-separated. Run by connectjson tests.
public class HashMapOrder {
    public static void main(String[] args) throws Exception {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        StringBuilder out = new StringBuilder();
        for (String line; (line = in.readLine()) != null;) {
            Map<String, Object> m = new HashMap<>();
            for (String k : line.split("\t", -1)) {
                m.put(k, Boolean.TRUE);
            }
            out.append(String.join("\t", m.keySet())).append('\n');
        }
        System.out.print(out);
        System.out.flush();
    }
}
