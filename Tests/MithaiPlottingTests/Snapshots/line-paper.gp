reset
set terminal pngcairo size 800,500 enhanced font "DejaVu Serif,9" background rgb "#FFFFFF" linewidth 1
set output '/tmp/chart.png'
set encoding utf8
set datafile missing NaN
set border 3 lc rgb "#000000"
set tics nomirror textcolor rgb "#000000"
set key top left box lc rgb "#000000"
set title textcolor rgb "#000000"
set grid xtics ytics lc rgb "#D0D0D0" lw 1 dt 3
set title "mid"
set xdata time
set timefmt "%s"
set xtics 10
set format x "%H:%M:%S" timedate
set key
set xlabel "time"
set ylabel "price (USDT)"
unset logscale y
plot '$DATA0_0' binary format="%float64%float64" using 1:2 with lines lw 1.5 dt 1 lc rgb "#000000" title "mid", \
     '$DATA0_1' binary format="%float64%float64" using 1:2 with steps lw 1.5 dt 2 lc rgb "#555555" title "microprice"
unset output
